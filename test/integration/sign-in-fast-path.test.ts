import { createHmac } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_IP_HEADER } from "../../src/server/http/client-ip-header.ts";
import { createPasswordSignIn } from "../../src/server/auth/better-auth/sign-in.ts";
import type { Auth } from "../../src/server/auth/auth.ts";
import { BASE_URL, createTestInstance, DB_KINDS, uniqueEmail, type TestInstance } from "../support/instance.ts";

/**
 * POST /api/auth/sign-in/email runs without Better Auth's endpoint machinery in the plain case
 * (src/server/auth/better-auth/sign-in.ts). Each test here asks Better Auth itself the same question
 * (its own HTTP handler, behind none of our routes) and expects the same answer: status, body,
 * cookie, session row. The sign-in path must be Better Auth's, only cheaper.
 */
describe.each(DB_KINDS)("sign-in fast path on %s", (kind) => {
  let t: TestInstance;
  let betterAuthCalls = 0;
  beforeAll(async () => {
    // The fast path itself, whatever mode the rest of the suite runs in.
    t = await createTestInstance(kind, { FAST_PATHS: "on" });
    const handler = t.services.auth.handler;
    t.services.auth.handler = (request: Request) => {
      betterAuthCalls++;
      return handler(request);
    };
  });
  afterAll(() => t.close());

  /** Better Auth's own answer to the same sign-in, from the same client IP and user agent. */
  function betterAuthSignIn(body: object, ip: string, headers: Record<string, string> = {}) {
    return t.services.auth.handler(
      new Request(`${BASE_URL}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE_URL, "user-agent": "conformance/1.0", [CLIENT_IP_HEADER]: ip, ...headers },
        body: JSON.stringify(body),
      }),
    );
  }

  const cookieAttributes = (setCookie: string) => setCookie.split(";").slice(1).map((a) => a.trim());
  const cookieValue = (setCookie: string) => decodeURIComponent(setCookie.split(";")[0]!.split("=").slice(1).join("="));
  const sessionRow = (token: string) =>
    t.services.db.kysely.selectFrom("session").selectAll().where("token", "=", token).executeTakeFirstOrThrow();

  it("answers a right password as Better Auth does: body, cookie and session row (ASVS 7.2.1)", async () => {
    const u = await t.signedInUser();
    const ip = kind === "sqlite" ? "2001:db8:85a3::8a2e:370:7334" : "203.0.113.77";
    const c = t.client(ip);
    const before = betterAuthCalls;
    const ours = await c.post("/api/auth/sign-in/email", { email: u.email, password: u.password }, { headers: { "user-agent": "conformance/1.0" } });
    expect(betterAuthCalls, "the plain case does not reach Better Auth's handler").toBe(before);
    const theirs = await betterAuthSignIn({ email: u.email, password: u.password }, ip);
    const theirsJson = await theirs.json();

    expect(ours.status).toBe(200);
    expect(theirs.status).toBe(200);
    expect(ours.headers.get("content-type")).toBe(theirs.headers.get("content-type"));
    expect(Object.keys(ours.json).sort()).toEqual(Object.keys(theirsJson).sort());
    expect(ours.json.redirect).toBe(false);
    expect(ours.json.user).toEqual(theirsJson.user);
    expect(ours.json.token).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(ours.json.token).not.toBe(theirsJson.token);

    const [oursCookie] = ours.headers.getSetCookie();
    const [theirsCookie] = theirs.headers.getSetCookie();
    expect(ours.headers.getSetCookie()).toHaveLength(theirs.headers.getSetCookie().length);
    expect(oursCookie!.split("=")[0]).toBe(theirsCookie!.split("=")[0]);
    expect(cookieAttributes(oursCookie!)).toEqual(cookieAttributes(theirsCookie!));
    // The signed value: token.base64(HMAC-SHA256(secret, token)), as Better Auth signs it.
    const signature = createHmac("sha256", t.services.config.secret).update(ours.json.token).digest("base64");
    expect(cookieValue(oursCookie!)).toBe(`${ours.json.token}.${signature}`);

    const [a, b] = await Promise.all([sessionRow(ours.json.token), sessionRow(theirsJson.token)]);
    const shape = (row: Record<string, unknown>) => Object.keys(row).sort();
    expect(shape(a)).toEqual(shape(b));
    expect(a.userId).toBe(b.userId);
    expect(a.ipAddress).toBe(b.ipAddress);
    expect(a.userAgent).toBe("conformance/1.0");
    expect(b.userAgent).toBe("conformance/1.0");
    expect(Math.abs(new Date(a.expiresAt as never).getTime() - new Date(b.expiresAt as never).getTime())).toBeLessThan(5_000);
    expect((a as Record<string, unknown>).impersonatedBy ?? null).toBe((b as Record<string, unknown>).impersonatedBy ?? null);

    // Better Auth accepts the session we made, and so does our API.
    const session = await c.get("/api/auth/get-session");
    expect(session.status).toBe(200);
    expect(session.json.user.id).toBe(u.userId);
    expect((await c.get("/api/v1/me")).status).toBe(200);
  });

  it("answers a wrong password and an unknown email as Better Auth does, and counts them (ASVS 6.3.8)", async () => {
    const u = await t.signedInUser();
    const ip = "203.0.113.78";
    const before = betterAuthCalls;
    for (const body of [
      { email: u.email, password: "not the right passphrase" },
      { email: uniqueEmail("nobody"), password: "whatever passphrase 1" },
    ]) {
      const ours = await t.client(ip).post("/api/auth/sign-in/email", body);
      const theirs = await betterAuthSignIn(body, ip);
      expect(ours.status).toBe(401);
      expect(theirs.status).toBe(401);
      expect(ours.json).toEqual(await theirs.json());
      expect(ours.headers.getSetCookie()).toEqual([]);
    }
    expect(betterAuthCalls - before, "only the two reference calls").toBe(2);
    const failures = await t.services.db.kysely
      .selectFrom("security_event")
      .select("type")
      .where("type", "=", "sign_in_failed")
      .where("ip", "=", ip)
      .execute();
    expect(failures).toHaveLength(2);
  });

  it("records the sign-in in the caller's security events", async () => {
    const u = await t.signedInUser();
    const c = t.client();
    expect((await c.post("/api/auth/sign-in/email", { email: u.email, password: u.password })).status).toBe(200);
    const events = await c.get("/api/v1/me/security-events");
    expect(events.json.events.some((e: { type: string; ip: string }) => e.type === "sign_in" && e.ip === c.ip)).toBe(true);
  });

  it("leaves everything else to Better Auth: callbackURL, rememberMe false, cookies, foreign or missing origins", async () => {
    const u = await t.signedInUser();
    const cases: { body: object; headers?: Record<string, string>; noOrigin?: boolean; expect: (r: { status: number; json: any; headers: Headers }) => void }[] = [
      {
        body: { email: u.email, password: u.password, callbackURL: "/chapters/1" },
        expect: (r) => expect(r.json).toMatchObject({ redirect: true, url: "/chapters/1" }),
      },
      {
        body: { email: u.email, password: u.password, rememberMe: false },
        expect: (r) => {
          expect(r.status).toBe(200);
          expect(r.headers.getSetCookie().some((c) => c.includes("dont_remember"))).toBe(true);
        },
      },
      {
        body: { email: u.email, password: u.password },
        headers: { origin: "https://evil.example", cookie: u.client.cookieHeader() },
        expect: (r) => expect(r.json.code).toBe("INVALID_ORIGIN"),
      },
      {
        body: { email: u.email, password: u.password },
        headers: { origin: "https://evil.example" },
        expect: (r) => expect(r.json.code).toBe("INVALID_ORIGIN"),
      },
      {
        body: { email: u.email, password: u.password },
        headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
        noOrigin: true,
        expect: (r) => expect(r.json.code).toBe("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"),
      },
      {
        body: { email: "not-an-email", password: u.password },
        expect: (r) => expect(r.status).toBe(400),
      },
    ];
    for (const one of cases) {
      const before = betterAuthCalls;
      const res = await t.client().post("/api/auth/sign-in/email", one.body, { headers: one.headers, noOrigin: one.noOrigin });
      expect(betterAuthCalls - before, JSON.stringify(one.body)).toBe(1);
      one.expect(res);
    }
  });

  it("refuses the session when a ban lands while the password is being checked (ASVS 8.3.1)", async () => {
    const u = await t.signedInUser();
    const sessions = () => t.services.db.kysely.selectFrom("session").select("id").where("userId", "=", u.userId).execute();
    const before = (await sessions()).length;
    const ctx = await t.services.auth.$context;
    const verify = ctx.password.verify;
    ctx.password.verify = async (args) => {
      const ok = await verify(args);
      // An admin bans the account right now, between our read of the user and the insert.
      await t.services.db.kysely
        .updateTable("user")
        .set({ banned: kind === "postgres" ? true : (1 as never) })
        .where("id", "=", u.userId)
        .execute();
      ctx.password.verify = verify;
      return ok;
    };
    try {
      const res = await t.client().post("/api/auth/sign-in/email", { email: u.email, password: u.password });
      expect(res.status).toBe(403);
      expect(res.json.code).toBe("BANNED_USER");
      expect(res.headers.getSetCookie().some((c) => c.includes("session_token=") && !/max-age=0/i.test(c))).toBe(false);
      expect(await sessions()).toHaveLength(before);
    } finally {
      ctx.password.verify = verify;
    }
  });

  it("leaves banned and unverified accounts to Better Auth, which refuses them (ASVS 6.4.x)", async () => {
    const banned = await t.signedInUser();
    await t.services.db.kysely
      .updateTable("user")
      .set({ banned: kind === "postgres" ? true : (1 as never) })
      .where("id", "=", banned.userId)
      .execute();
    let before = betterAuthCalls;
    const refused = await t.client().post("/api/auth/sign-in/email", { email: banned.email, password: banned.password });
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("BANNED_USER");
    expect(betterAuthCalls - before).toBe(1);

    const email = uniqueEmail("unverified");
    const password = "a long enough passphrase 7";
    expect((await t.client().post("/api/auth/sign-up/email", { name: "Not Yet", email, password })).status).toBe(200);
    await t.mail.waitFor(email, { subject: /verify/i });
    before = betterAuthCalls;
    const unverified = await t.client().post("/api/auth/sign-in/email", { email, password });
    expect(unverified.status).toBe(403);
    expect(unverified.json.code).toBe("EMAIL_NOT_VERIFIED");
    expect(betterAuthCalls - before).toBe(1);
    // Better Auth asked for a new link; within a minute of the last one, the per-address quota holds it back.
    await t.services.mailer.drain();
    expect(t.mail.mails.filter((m) => m.to.includes(email.toLowerCase()) && /verify/i.test(m.subject))).toHaveLength(1);
  });

  it("ASVS 6.3.8: a wrong password is answered alike for existing, unknown, unverified and banned accounts: one password check, never Better Auth's handler", async () => {
    // Regression: unverified and banned accounts went to Better Auth's full handler before the
    // password was checked, and answered a wrong password ~3.4 ms slower than any other account.
    const existing = await t.signedInUser();
    const banned = await t.signedInUser();
    await t.services.db.kysely
      .updateTable("user")
      .set({ banned: kind === "postgres" ? true : (1 as never) })
      .where("id", "=", banned.userId)
      .execute();
    const unverified = uniqueEmail("unverified");
    expect((await t.client().post("/api/auth/sign-up/email", { name: "Not Yet", email: unverified, password: "a long enough passphrase 8" })).status).toBe(200);
    const ctx = await t.services.auth.$context;
    const { verify, hash } = ctx.password;
    let checks = 0;
    ctx.password.verify = (input) => (checks++, verify(input));
    ctx.password.hash = (input) => (checks++, hash(input));
    try {
      const answers = [];
      for (const email of [existing.email, uniqueEmail("nobody"), unverified, banned.email]) {
        const callsBefore = betterAuthCalls;
        const checksBefore = checks;
        const res = await t.client().post("/api/auth/sign-in/email", { email, password: "not the password at all" });
        expect(betterAuthCalls - callsBefore, email).toBe(0);
        expect(checks - checksBefore, email).toBe(1);
        answers.push({ status: res.status, body: res.text, cookies: res.headers.getSetCookie() });
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(answers[0]).toMatchObject({ status: 401, cookies: [] });
    } finally {
      ctx.password.verify = verify;
      ctx.password.hash = hash;
    }
  });
});

describe("sign-in fast path behind https", () => {
  it("sets the same __Secure- cookie Better Auth sets (ASVS 3.3.1)", async () => {
    const origin = "https://aibook.example";
    const h = await createTestInstance("sqlite", { BETTER_AUTH_URL: origin, REQUIRE_EMAIL_VERIFICATION: "false" });
    try {
      const email = uniqueEmail("secure");
      const password = "a long enough passphrase 9";
      const c = h.client();
      expect((await c.post(`${origin}/api/auth/sign-up/email`, { name: "Secure", email, password }, { headers: { origin } })).status).toBe(200);
      const ours = await c.post(`${origin}/api/auth/sign-in/email`, { email, password }, { headers: { origin } });
      const theirs = await h.services.auth.handler(
        new Request(`${origin}/api/auth/sign-in/email`, {
          method: "POST",
          headers: { "content-type": "application/json", origin, [CLIENT_IP_HEADER]: c.ip },
          body: JSON.stringify({ email, password }),
        }),
      );
      expect(ours.status).toBe(200);
      const [oursCookie] = ours.headers.getSetCookie();
      const [theirsCookie] = theirs.headers.getSetCookie();
      expect(oursCookie!.startsWith("__Secure-better-auth.session_token=")).toBe(true);
      expect(oursCookie!.split(";").slice(1)).toEqual(theirsCookie!.split(";").slice(1));
      expect(oursCookie).toContain("; Secure");
      expect((await c.get(`${origin}/api/v1/me`)).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe("sign-in fast path: what it does not know, it does not skip", () => {
  it("turns itself off when Better Auth would run a hook on sign-in it does not expect", async () => {
    const logged: unknown[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const plugins = [{ id: "audit-everything", hooks: { before: [{ matcher: (c: { path: string }) => c.path.startsWith("/sign-in"), handler: () => {} }] } }];
    const auth = { $context: Promise.resolve({ options: { plugins } }) } as unknown as Auth;
    const fast = createPasswordSignIn(auth, {} as never, {} as never, logger, { absoluteSessionMs: 86_400_000 });
    const request = new Request(`${BASE_URL}/api/auth/sign-in/email`, { method: "POST" });
    expect(await fast.attempt(request, { email: "a@example.com", password: "x" })).toBeNull();
    expect(JSON.stringify(logged)).toContain("audit-everything:before");
  });
});
