import { serializeSignedCookie } from "better-call";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_IP_HEADER } from "../../src/server/http/client-ip-header.ts";
import { verificationIdentifier, verificationLinkClaims } from "../../src/server/auth/better-auth/verification.ts";
import { BASE_URL, createTestInstance, DB_KINDS, uniqueEmail, type TestInstance } from "../support/instance.ts";

/**
 * The differential suite of auth/better-auth/: every place where our code restates something of
 * Better Auth (the session cookie and its signature, expiry and sliding refresh, the session row
 * the fast sign-in writes, verification identifiers and link claims, the user we hand out) is
 * asked the same question as Better Auth's own code, on both databases. A Better Auth upgrade
 * that changes any of these fails here first (docs/decisions/008-sign-in-throughput.md).
 */
describe.each(DB_KINDS)("our copies of Better Auth agree with Better Auth on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { FAST_PATHS: "on" });
  });
  afterAll(() => t.close());

  const context = () => t.services.auth.$context;
  const cookieName = () => t.services.session.cookieName;

  /** A new session of `userId` made by Better Auth itself, and its token. */
  async function betterAuthSession(userId: string): Promise<string> {
    const ctx = await context();
    const session = await ctx.internalAdapter.createSession(userId);
    return session.token;
  }

  /** The Cookie header Better Auth's own HTTP layer (better-call) would set for `token`. */
  async function betterAuthCookie(token: string): Promise<string> {
    const ctx = await context();
    const line = await serializeSignedCookie(cookieName(), token, ctx.secret);
    return line.split(";")[0]!;
  }

  /** Does Better Auth's getSession open a session for this Cookie header? (no refresh: read only) */
  async function betterAuthAccepts(cookie: string): Promise<string | null> {
    const found = await t.services.auth.api.getSession({ headers: new Headers({ cookie }), query: { disableRefresh: true } });
    return found?.session.token ?? null;
  }

  /** Does our caller check (GET /api/v1/me) let this Cookie header in? */
  async function weAccept(cookie: string): Promise<boolean> {
    const res = await t.client().get("/api/v1/me", { headers: { cookie } });
    expect([200, 401]).toContain(res.status);
    return res.status === 200;
  }

  it("accepts and refuses exactly the session cookies Better Auth's getSession does", async () => {
    const u = await t.signedInUser();
    const token = await betterAuthSession(u.userId);
    const good = await betterAuthCookie(token);
    const name = cookieName();
    const signed = decodeURIComponent(good.slice(name.length + 1));
    const signature = signed.slice(signed.lastIndexOf(".") + 1);
    const other = await betterAuthSession(u.userId);
    const flip = (c: string) => (c === "A" ? "B" : "A");
    const unknownToken = await betterAuthCookie(randomBytes(24).toString("base64url").slice(0, 32));

    const variants: Record<string, string> = {
      "as Better Auth sets it": good,
      "not URI-encoded": `${name}=${signed}`,
      "in double quotes": `${name}="${encodeURIComponent(signed)}"`,
      "with other cookies around it": `theme=dark; ${good}; lang=en`,
      "twice, the first one broken": `${name}=garbage; ${good}`,
      "twice, the second one broken": `${good}; ${name}=garbage`,
      "signature without its padding": `${name}=${encodeURIComponent(`${token}.${signature.slice(0, -1)}`)}`,
      "signature in base64url": `${name}=${encodeURIComponent(`${token}.${signature.replace(/\+/g, "-").replace(/\//g, "_")}x`.slice(0, -1))}`,
      "signature with one character changed": `${name}=${encodeURIComponent(`${token}.${flip(signature[0]!)}${signature.slice(1)}`)}`,
      "signature with a space inside": `${name}=${encodeURIComponent(`${token}.${signature.slice(0, 20)} ${signature.slice(21)}`)}`,
      "another session's token under this signature": `${name}=${encodeURIComponent(`${other}.${signature}`)}`,
      "a right signature over a token no session has": unknownToken,
      "the token alone": `${name}=${token}`,
      "an empty value": `${name}=`,
      "a dot only": `${name}=.`,
      "under the __Secure- name on plain http": `__Secure-${good}`,
    };
    const disagreements: string[] = [];
    for (const [label, cookie] of Object.entries(variants)) {
      const theirs = (await betterAuthAccepts(cookie)) !== null;
      const ours = await weAccept(cookie);
      if (theirs !== ours) disagreements.push(`${label}: Better Auth ${theirs ? "accepts" : "refuses"}, we ${ours ? "accept" : "refuse"}`);
    }
    expect(disagreements).toEqual([]);
    // The list is not trivially one-sided: the first variants open a session, the forged ones do not.
    expect(await weAccept(good)).toBe(true);
    expect(await weAccept(variants["a right signature over a token no session has"]!)).toBe(false);
  });

  it("judges expired and deleted sessions as getSession does", async () => {
    const u = await t.signedInUser();
    const ctx = await context();
    const cases: Record<string, (token: string) => Promise<void>> = {
      "expired a second ago": async (token) => {
        await t.services.db.kysely
          .updateTable("session")
          .set({ expiresAt: (kind === "sqlite" ? new Date(Date.now() - 1000).toISOString() : new Date(Date.now() - 1000)) as never })
          .where("token", "=", token)
          .execute();
      },
      "deleted": async (token) => {
        await ctx.internalAdapter.deleteSession(token);
      },
      "untouched": async () => {},
    };
    for (const [label, change] of Object.entries(cases)) {
      const token = await betterAuthSession(u.userId);
      const cookie = await betterAuthCookie(token);
      await change(token);
      // Ours first: Better Auth's getSession deletes an expired row it finds.
      const ours = await weAccept(cookie);
      const theirs = (await betterAuthAccepts(cookie)) !== null;
      expect(ours, label).toBe(theirs);
    }
  });

  it("slides a session's expiry exactly when getSession would, and sets the same cookie", async () => {
    const u = await t.signedInUser();
    const rules = t.services.session;
    const ctx = await context();
    expect(rules.expiresInMs).toBe(ctx.sessionConfig.expiresIn * 1000);
    expect(rules.updateAgeMs).toBe(ctx.sessionConfig.updateAge * 1000);
    const minute = 60_000;
    // A session this old (its expiry this far from a fresh one's), just before and after the refresh point.
    for (const age of [0, rules.updateAgeMs - minute, rules.updateAgeMs + minute, 3 * rules.updateAgeMs]) {
      const expiresAt = new Date(Date.now() + rules.expiresInMs - age);
      const setExpiry = (token: string) =>
        t.services.db.kysely
          .updateTable("session")
          .set({ expiresAt: (kind === "sqlite" ? expiresAt.toISOString() : expiresAt) as never })
          .where("token", "=", token)
          .execute();
      const predicted = rules.wouldRefresh(expiresAt.getTime(), Date.now());

      const theirs = await betterAuthSession(u.userId);
      await setExpiry(theirs);
      const asked = await t.services.auth.api.getSession({ headers: new Headers({ cookie: await betterAuthCookie(theirs) }), returnHeaders: true });
      const theirCookie = asked.headers.getSetCookie().find((l) => l.startsWith(`${cookieName()}=`));
      expect(Boolean(theirCookie), `age ${age} ms: Better Auth refreshes`).toBe(predicted);

      const ours = await betterAuthSession(u.userId);
      await setExpiry(ours);
      const res = await t.client().get("/api/v1/me", { headers: { cookie: await betterAuthCookie(ours) } });
      expect(res.status).toBe(200);
      const ourCookie = res.headers.getSetCookie().find((l) => l.startsWith(`${cookieName()}=`));
      expect(Boolean(ourCookie), `age ${age} ms: the caller check refreshes`).toBe(predicted);
      if (theirCookie && ourCookie) {
        expect(ourCookie.split(";").slice(1)).toEqual(theirCookie.split(";").slice(1));
        const row = await t.services.db.kysely.selectFrom("session").select("expiresAt").where("token", "=", ours).executeTakeFirstOrThrow();
        expect(new Date(row.expiresAt as never).getTime()).toBeGreaterThan(expiresAt.getTime());
      }
    }
  });

  it("hands out the user getSession gives, field for field", async () => {
    const u = await t.signedInUser({ name: "Zoë Ünicode" });
    const me = await u.client.get("/api/v1/me");
    const theirs = await t.services.auth.api.getSession({ headers: new Headers({ cookie: u.client.cookieHeader() }) });
    expect(me.status).toBe(200);
    expect(theirs).not.toBeNull();
    const user = theirs!.user as Record<string, unknown>;
    for (const key of ["id", "name", "email", "emailVerified", "image", "role"]) {
      expect(me.json[key] ?? null, key).toEqual(user[key] ?? null);
    }
    expect(me.json.createdAt).toBe(new Date(user.createdAt as Date).toISOString());
  });

  it("writes the session row Better Auth writes on a password sign-in, value for value", async () => {
    const u = await t.signedInUser();
    const ip = "198.51.100.23";
    const ours = await t.client(ip).post("/api/auth/sign-in/email", { email: u.email, password: u.password }, { headers: { "user-agent": "compat/1.0" } });
    expect(ours.status).toBe(200);
    const theirs = await t.services.auth.handler(
      new Request(`${BASE_URL}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE_URL, "user-agent": "compat/1.0", [CLIENT_IP_HEADER]: ip },
        body: JSON.stringify({ email: u.email, password: u.password }),
      }),
    );
    const theirsToken = ((await theirs.json()) as { token: string }).token;
    const read = (token: string) => t.services.db.kysely.selectFrom("session").selectAll().where("token", "=", token).executeTakeFirstOrThrow();
    const [a, b] = (await Promise.all([read(ours.json.token), read(theirsToken)])) as unknown as Record<string, unknown>[];
    const time = (v: unknown) => new Date(v as string).getTime();
    for (const key of Object.keys(b!)) {
      if (key === "id" || key === "token") {
        expect(typeof a![key], key).toBe(typeof b![key]);
        expect(String(a![key]).length, key).toBe(String(b![key]).length);
      } else if (key === "expiresAt" || key === "createdAt" || key === "updatedAt") {
        expect(typeof a![key], `${key}: stored as the same type`).toBe(typeof b![key]);
        expect(Math.abs(time(a![key]) - time(b![key])), key).toBeLessThan(5_000);
      } else {
        expect(a![key], key).toEqual(b![key]);
      }
    }
    expect(Object.keys(a!).sort()).toEqual(Object.keys(b!).sort());
    // The same lifetime (Better Auth reads the clock twice, for createdAt and expiresAt: a millisecond may pass).
    const lifetime = (row: Record<string, unknown>) => time(row.expiresAt) - time(row.createdAt);
    expect(Math.abs(lifetime(a!) - lifetime(b!))).toBeLessThan(1_000);
  });

  it("names the verification rows of reset and deletion links as Better Auth does", async () => {
    const u = await t.signedInUser();
    const since = Date.now();
    await t.services.auth.api.requestPasswordReset({ body: { email: u.email, redirectTo: "/reset-password" } });
    const reset = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: /reset/i, since }), "/reset-password/");
    const resetToken = new URL(reset).pathname.split("/").pop()!;
    const ctx = await context();
    expect(await ctx.internalAdapter.findVerificationValue(verificationIdentifier.resetPassword(resetToken))).toBeTruthy();

    const deleting = await u.client.post("/api/auth/delete-user", { callbackURL: "/goodbye" });
    expect(deleting.status).toBe(200);
    const link = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: /deleting/i, since }), "/api/auth/delete-user/callback");
    const deleteToken = new URL(link).searchParams.get("token")!;
    const row = await ctx.internalAdapter.findVerificationValue(verificationIdentifier.deleteAccount(deleteToken));
    expect(row?.value).toBe(u.userId);
  });

  it("reads the claims of Better Auth's verification links: the address, and an email change's new one", async () => {
    const email = uniqueEmail("claims");
    const since = Date.now();
    const c = t.client();
    expect((await c.post("/api/auth/sign-up/email", { name: "Claims", email, password: "correct horse battery staple" })).status).toBe(200);
    const signUp = t.mail.linkFrom(await t.mail.waitFor(email, { subject: /verify/i, since }), "/verify-email");
    expect(verificationLinkClaims(new URL(signUp).searchParams.get("token")!)).toEqual({ email });
    await c.get(signUp.replace(BASE_URL, ""));

    const u = await t.signedInUser();
    const newEmail = uniqueEmail("moved");
    expect((await u.client.post("/api/auth/change-email", { newEmail, callbackURL: "/account" })).status).toBe(200);
    const change = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: /email change/i, since }), "/verify-email");
    expect(verificationLinkClaims(new URL(change).searchParams.get("token")!)).toEqual({ email: u.email, updateTo: newEmail });
    expect(verificationLinkClaims("not-a-token")).toBeNull();
  });
});

describe("FAST_PATHS=off sends everything through Better Auth's own code (sqlite)", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("sqlite", { FAST_PATHS: "off" });
  });
  afterAll(() => t.close());

  it("signs in, checks cookies and slides sessions with Better Auth's getSession and handler", async () => {
    const getSession = t.services.auth.api.getSession;
    let asked = 0;
    t.services.auth.api.getSession = ((...args: Parameters<typeof getSession>) => {
      asked++;
      return getSession(...args);
    }) as typeof getSession;
    try {
      const u = await t.signedInUser();
      expect(await t.services.passwordSignIn.attempt(new Request(BASE_URL), { email: u.email, password: u.password })).toBeNull();
      const before = asked;
      expect((await u.client.get("/api/v1/me")).status).toBe(200);
      expect((await u.client.get("/api/v1/me")).status).toBe(200);
      expect(asked - before, "every cookie call asks Better Auth").toBe(2);
    } finally {
      t.services.auth.api.getSession = getSession;
    }
  });
});
