/**
 * The outside security review, redone against the real server (a listening socket, Node's
 * `fetch`, one cookie jar per browser), on SQLite and PostgreSQL. One block per finding; each
 * test failed before its fix. ASVS 5.0 ids in the names.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_URL, DB_KINDS, STRONG_PASSWORD, uniqueEmail } from "../support/instance.ts";
import { enrolSecondFactor } from "../support/staff.ts";
import { startRealServer, type Browser, type RealServer } from "./real-server.ts";
import { FOREIGN_REDIRECTS } from "./redirect-variants.ts";

const ADMIN = "review-admin@example.com";

describe.each(DB_KINDS)("security review on %s", (kind) => {
  let r: RealServer;
  beforeAll(async () => {
    r = await startRealServer(kind, {
      ADMIN_EMAILS: ADMIN,
      CHAT_ANONYMOUS_DAILY_MESSAGES: "1000",
      GITHUB_CLIENT_ID: "review-client-id",
      GITHUB_CLIENT_SECRET: "review-client-secret",
    });
    r.t.services.indexBook([{ slug: "balance", title: "Balance", html: "<h2 id='zmp'>Zero moment point</h2><p>The robot keeps its balance.</p>" }]);
  });
  afterAll(() => r?.close());

  /** Sign up in `b` and return the verification link from the real SMTP listener. */
  async function signUpLink(b: Browser, email: string, password = STRONG_PASSWORD) {
    const since = Date.now();
    const res = await b.post("/api/auth/sign-up/email", { name: "Reviewer", email, password });
    expect(res.status, res.text).toBe(200);
    const mail = await r.t.mail.waitFor(email, { subject: /verify/i, since });
    return r.t.mail.linkFrom(mail, "/api/auth/verify-email");
  }

  /** A verified account, signed in (by its own link) in a browser of its own. */
  async function account(email = uniqueEmail("review")) {
    const b = r.browser();
    expect((await b.get(await signUpLink(b, email))).status).toBe(302);
    const me = await b.get("/api/v1/me");
    expect(me.status).toBe(200);
    return { b, email, id: me.json.id as string };
  }

  async function guestWithChat(b = r.browser()) {
    expect((await b.post("/api/auth/sign-in/anonymous", {})).status).toBe(200);
    const guest = (await b.get("/api/v1/me")).json;
    const chat = await b.post("/api/v1/chats", { title: "My private questions" });
    expect(chat.status).toBe(201);
    const asked = await b.request("POST", `/api/v1/chats/${chat.json.id}/messages`, {
      body: { content: "How does a robot keep its balance?" },
      headers: { accept: "application/json" },
    });
    expect(asked.status, asked.text).toBe(200);
    return { b, guestId: guest.id as string, chatId: chat.json.id as string };
  }

  const ownerOf = async (chatId: string) =>
    (await r.t.services.db.kysely.selectFrom("chat").select("owner_id").where("id", "=", chatId).executeTakeFirst())?.owner_id;

  describe("1. someone else's verification link (ASVS 3.5.3, 8.2.2)", () => {
    it("a guest who opens an attacker's link keeps their chats and their session, and is not signed in as the attacker", async () => {
      const attacker = r.browser();
      const attackerEmail = uniqueEmail("attacker");
      const link = await signUpLink(attacker, attackerEmail);
      const victim = await guestWithChat();

      const opened = await victim.b.get(link);
      expect(opened.status).toBe(302);
      expect(new URL(opened.headers.get("location")!, BASE_URL).searchParams.get("sign_in")).toBe("required");
      expect(opened.headers.getSetCookie().filter((c) => c.includes("session_token"))).toEqual([]);
      // The victim is still the same guest, with their chat.
      const me = await victim.b.get("/api/v1/me");
      expect(me.json).toMatchObject({ id: victim.guestId, isAnonymous: true });
      expect(await ownerOf(victim.chatId)).toBe(victim.guestId);
      expect((await victim.b.get("/api/v1/chats")).json.chats.map((c: { id: string }) => c.id)).toEqual([victim.chatId]);

      // The attacker's address is verified all the same; signed in, they see none of it.
      expect((await attacker.post("/api/auth/sign-in/email", { email: attackerEmail, password: STRONG_PASSWORD })).status).toBe(200);
      expect((await attacker.get("/api/v1/chats")).json.chats).toEqual([]);
      expect((await attacker.get(`/api/v1/chats/${victim.chatId}`)).status).toBe(404);
      const merge = await r.t.services.db.kysely.selectFrom("anonymous_merge").selectAll().where("anonymous_user_id", "=", victim.guestId).execute();
      expect(merge).toEqual([]);
      // The session Better Auth made for the link is gone: nothing signed in by it anywhere.
      const user = await r.t.services.db.kysely.selectFrom("user").select("id").where("email", "=", attackerEmail).executeTakeFirstOrThrow();
      expect(await r.t.services.db.kysely.selectFrom("session").select("id").where("userId", "=", user.id).execute()).toHaveLength(1); // the attacker's own sign-in
    });

    it("a browser signed in as another account stays signed in as that account (login CSRF)", async () => {
      const attacker = r.browser();
      const link = await signUpLink(attacker, uniqueEmail("attacker"));
      const victim = await account();
      expect((await victim.b.get(link)).status).toBe(302);
      expect((await victim.b.get("/api/v1/me")).json).toMatchObject({ id: victim.id, email: victim.email });
    });

    it("a browser with no session is not signed in by a link it did not ask for (login CSRF)", async () => {
      const link = await signUpLink(r.browser(), uniqueEmail("attacker"));
      const victim = r.browser();
      const opened = await victim.get(link);
      expect(opened.status).toBe(302);
      expect(victim.cookies.size).toBe(0);
      expect((await victim.get("/api/v1/me")).status).toBe(401);
    });

    it("the guest who signed up: the link in the same browser signs in and moves the chats, exactly once", async () => {
      const guest = await guestWithChat();
      const email = uniqueEmail("guest");
      const link = await signUpLink(guest.b, email);
      expect((await guest.b.get(link)).status).toBe(302);
      const me = await guest.b.get("/api/v1/me");
      expect(me.json).toMatchObject({ email, isAnonymous: false });
      expect(await ownerOf(guest.chatId)).toBe(me.json.id);
      await r.t.services.runMaintenance();
      expect((await guest.b.get("/api/v1/chats")).json.chats).toHaveLength(1);
    });

    it("an email-change link signs no browser in", async () => {
      const u = await account();
      const newEmail = uniqueEmail("moved");
      const since = Date.now();
      expect((await u.b.post("/api/auth/change-email", { newEmail, callbackURL: "/account" })).status).toBe(200);
      const confirm = r.t.mail.linkFrom(await r.t.mail.waitFor(u.email, { subject: /confirm the email change/i, since }), "/api/auth/verify-email");
      const stranger = r.browser();
      const opened = await stranger.get(confirm);
      expect(opened.status).toBe(302);
      expect(stranger.cookies.has("better-auth.session_token")).toBe(false);
      const verify = r.t.mail.linkFrom(await r.t.mail.waitFor(newEmail, { subject: /verify/i, since }), "/api/auth/verify-email");
      expect((await stranger.get(verify)).status).toBe(302);
      expect(stranger.cookies.has("better-auth.session_token")).toBe(false);
      expect((await stranger.get("/api/v1/me")).status).toBe(401);
    });

    it("ASVS 10.1.2: the social sign-in callback only completes in the browser that started it (state bound to the browser)", async () => {
      const started = r.browser();
      const start = await started.post("/api/auth/sign-in/social", { provider: "github", callbackURL: "/", disableRedirect: true });
      expect(start.status, start.text).toBe(200);
      const state = new URL(start.json.url).searchParams.get("state")!;
      expect(state).toBeTruthy();
      // The attacker sends the callback (their own code, their state) to a victim's browser.
      const victim = r.browser();
      const callback = await victim.get(`/api/auth/callback/github?code=attacker-code&state=${encodeURIComponent(state)}`);
      expect(callback.status).toBe(302);
      expect(callback.headers.get("location")).toMatch(/error=/);
      expect(victim.cookies.has("better-auth.session_token")).toBe(false);
    });
  });

  describe("2. open redirect (ASVS 3.7.2)", () => {
    it.each(FOREIGN_REDIRECTS.map((v) => [JSON.stringify(v), v]))("verify-email with a used link and callbackURL=%s never leaves the site", async (_, target) => {
      const b = r.browser();
      const link = await signUpLink(b, uniqueEmail("redirect"));
      expect((await b.get(link)).status).toBe(302);
      const used = new URL(link, BASE_URL).searchParams.get("token")!;
      for (const token of [used, "not-a-token"]) {
        const res = await b.get(`/api/auth/verify-email?token=${encodeURIComponent(token)}&callbackURL=${encodeURIComponent(target)}`);
        expect(res.status, `${res.status} ${res.headers.get("location")}`).toBeLessThan(500);
        const location = res.headers.get("location");
        if (location !== null) expect(new URL(location, BASE_URL).origin).toBe(BASE_URL);
        else expect(res.status).toBeGreaterThanOrEqual(400);
      }
      const reset = await b.post("/api/auth/request-password-reset", { email: uniqueEmail("x"), redirectTo: target });
      expect(reset.status).toBe(400);
    });

    it("a path on this site still works", async () => {
      const b = r.browser();
      const link = await signUpLink(b, uniqueEmail("redirect"));
      expect((await b.get(link)).status).toBe(302);
      const token = new URL(link, BASE_URL).searchParams.get("token")!;
      const res = await b.get(`/api/auth/verify-email?token=${token}&callbackURL=${encodeURIComponent("/verified")}`);
      expect(new URL(res.headers.get("location")!).toString()).toBe(`${BASE_URL}/verified?error=TOKEN_ALREADY_USED`);
    });
  });

  describe("3. access tokens after a password change, a reset, sign out everywhere, a ban (ASVS 7.4.1)", () => {
    async function withToken() {
      const u = await account();
      const grant = await r.browser().post("/api/v1/auth/token", { grant_type: "password", email: u.email, password: STRONG_PASSWORD });
      expect(grant.status, grant.text).toBe(200);
      const bearer = { authorization: `Bearer ${grant.json.access_token}` };
      expect((await r.browser().get("/api/v1/me", bearer)).status).toBe(200);
      return { ...u, bearer, refresh: grant.json.refresh_token as string };
    }

    it("change-password with revokeOtherSessions: the earlier access token is refused at once; one minted just after works", async () => {
      const u = await withToken();
      const changed = await u.b.post("/api/auth/change-password", { currentPassword: STRONG_PASSWORD, newPassword: "a brand new passphrase 42", revokeOtherSessions: true });
      expect(changed.status, changed.text).toBe(200);
      expect((await r.browser().get("/api/v1/me", u.bearer)).status).toBe(401);
      // Same second, after the change: a fresh token of the session that changed it is good.
      const fresh = await u.b.get("/api/auth/token");
      expect(fresh.status).toBe(200);
      expect((await r.browser().get("/api/v1/me", { authorization: `Bearer ${fresh.json.token}` })).status).toBe(200);
    });

    it("a completed reset refuses the earlier access token", async () => {
      const u = await withToken();
      const since = Date.now();
      expect((await r.browser().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" })).status).toBe(200);
      const mail = await r.t.mail.waitFor(u.email, { subject: /reset/i, since });
      const token = /reset-password\/([^?\s"]+)/.exec(r.t.mail.linkFrom(mail, "/api/auth/reset-password/"))![1]!;
      expect((await r.browser().post("/api/auth/reset-password", { token, newPassword: "reset to a new passphrase 7" })).status).toBe(200);
      expect((await r.browser().get("/api/v1/me", u.bearer)).status).toBe(401);
    });

    it("sign out everywhere refuses the earlier access token", async () => {
      const u = await withToken();
      expect((await u.b.post("/api/auth/revoke-sessions", {})).status).toBe(200);
      expect((await r.browser().get("/api/v1/me", u.bearer)).status).toBe(401);
    });

    it("a ban refuses the earlier access token, and so does a second instance on the same database within seconds", async () => {
      const admin = await account(ADMIN);
      expect((await admin.b.get("/api/v1/me")).json.role).toBe("admin");
      // Staff act from a session that passed a second factor (STAFF_REQUIRE_2FA).
      await enrolSecondFactor(admin.b, STRONG_PASSWORD);
      const u = await withToken();
      const other = await startRealServerOn(r);
      try {
        expect((await other.get("/api/v1/me", u.bearer)).status).toBe(200); // cached there now
        expect((await admin.b.post("/api/auth/admin/ban-user", { userId: u.id, banReason: "review" })).status).toBe(200);
        expect((await r.browser().get("/api/v1/me", u.bearer)).status).toBe(401);
        await expect.poll(async () => (await other.get("/api/v1/me", u.bearer)).status, { timeout: 5_000, interval: 200 }).toBe(401);
      } finally {
        await other.close();
      }
    });

    it("a password change seen from a second instance: its earlier token is refused there within seconds", async () => {
      const u = await withToken();
      const other = await startRealServerOn(r);
      try {
        expect((await other.get("/api/v1/me", u.bearer)).status).toBe(200);
        expect((await u.b.post("/api/auth/change-password", { currentPassword: STRONG_PASSWORD, newPassword: "another new passphrase 9" })).status).toBe(200);
        await expect.poll(async () => (await other.get("/api/v1/me", u.bearer)).status, { timeout: 5_000, interval: 200 }).toBe(401);
      } finally {
        await other.close();
      }
    });
  });

  describe("5. IPv6 clients are limited by their /64 (ASVS 6.3.1)", () => {
    it("35 sign-in attempts from 35 addresses of one /64 are stopped at the 31st, as one IPv4 address is; another /64 is not", async () => {
      const hex = () => ((Math.random() * 0xffff) | 0).toString(16);
      const net = `2001:db8:${hex()}:7`;
      const statuses: number[] = [];
      for (let i = 1; i <= 35; i++) {
        const res = await r.browser(`${net}::${i.toString(16)}`).post("/api/auth/sign-in/email", { email: uniqueEmail("v6"), password: "wrong password here" });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
      const elsewhere = await r.browser(`2001:db8:ffff:${hex()}::1`).post("/api/auth/sign-in/email", { email: uniqueEmail("v6"), password: "wrong password here" });
      expect(elsewhere.status).toBe(401);
    });

    it("an IPv4-mapped IPv6 address shares the IPv4 address's counter", async () => {
      const v4 = `198.18.${(Math.random() * 250) | 0}.${((Math.random() * 250) | 0) + 1}`;
      for (let i = 0; i < 30; i++) {
        const ip = i % 2 ? v4 : `::ffff:${v4}`;
        expect((await r.browser(ip).post("/api/auth/sign-in/email", { email: uniqueEmail("v4"), password: "wrong password here" })).status).toBe(401);
      }
      expect((await r.browser(`::ffff:${v4}`).post("/api/auth/sign-in/email", { email: uniqueEmail("v4"), password: "wrong" })).status).toBe(429);
    });
  });

  describe("6. cross-site requests to our own routes (ASVS 3.5.1)", () => {
    it("a cookie call from another origin, or without one, changes nothing; text/plain is refused; the site's own calls and bearer calls work", async () => {
      const u = await account();
      const count = async () => (await u.b.get("/api/v1/chats")).json.chats.length as number;
      const before = await count();
      const evil = ["http://localhost:5174", "http://evil.example", "null"];
      for (const origin of evil) {
        const res = await u.b.request("POST", "/api/v1/chats", { origin });
        expect(res.status, origin).toBe(403);
        expect(res.json.code).toBe("CROSS_SITE_REQUEST");
      }
      expect((await u.b.request("POST", "/api/v1/chats", { origin: null })).status).toBe(403);
      expect((await u.b.request("POST", "/api/v1/chats", { origin: null, headers: { "sec-fetch-site": "same-site" } })).status).toBe(403);
      const plain = await u.b.request("POST", "/api/v1/chats", { raw: '{"title":"csrf"}', headers: { "content-type": "text/plain" } });
      expect(plain.status).toBe(415);
      expect(await count()).toBe(before);

      const own = await u.b.request("POST", "/api/v1/chats", {});
      expect(own.status).toBe(201);
      const chatId = own.json.id as string;
      expect((await u.b.request("PATCH", `/api/v1/chats/${chatId}`, { body: { title: "renamed by evil" }, origin: "http://evil.example" })).status).toBe(403);
      expect((await u.b.request("DELETE", `/api/v1/chats/${chatId}`, { origin: "http://evil.example" })).status).toBe(403);
      const retry = await u.b.request("POST", `/api/v1/chats/${chatId}/messages/x/retry`, { origin: "http://evil.example" });
      expect(retry.status).toBe(403);
      expect((await u.b.request("PATCH", "/api/v1/me/preferences", { body: { theme: "dark" }, origin: "http://evil.example" })).status).toBe(403);
      expect((await u.b.get(`/api/v1/chats/${chatId}`)).json.title).not.toBe("renamed by evil");
      expect((await u.b.request("POST", "/api/v1/chats", { origin: null, headers: { "sec-fetch-site": "same-origin" } })).status).toBe(201);
      // The site's own calls, as its fetch sends them: a PATCH with JSON, a DELETE with no body and no content type.
      expect((await u.b.request("PATCH", `/api/v1/chats/${chatId}`, { body: { title: "renamed by me" } })).status).toBe(200);
      expect((await u.b.request("DELETE", `/api/v1/chats/${chatId}`, {})).status).toBeLessThan(300);
      expect((await u.b.get(`/api/v1/chats/${chatId}`)).status).toBe(404);

      const grant = await r.browser().post("/api/v1/auth/token", { grant_type: "password", email: u.email, password: STRONG_PASSWORD });
      const bearer = await r.browser().request("POST", "/api/v1/chats", { origin: null, headers: { authorization: `Bearer ${grant.json.access_token}` } });
      expect(bearer.status).toBe(201);
    });
  });
});

/** A second instance of the app (its own caches) on the same database, on its own socket. */
async function startRealServerOn(r: RealServer) {
  const { createServices } = await import("../../src/server/services.ts");
  const { createApp } = await import("../../src/server/app.ts");
  const { serve } = await import("@hono/node-server");
  const pino = (await import("pino")).default;
  const services = await createServices(r.t.services.config, { logger: pino({ level: "silent" }), skipMigrations: true });
  const server = serve({ fetch: createApp(services).fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  const port = (server.address() as { port: number }).port;
  return {
    async get(path: string, headers: Record<string, string>) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-forwarded-for": "192.0.2.250", ...headers } });
      await res.arrayBuffer();
      return res;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      });
      await services.close();
    },
  };
}
