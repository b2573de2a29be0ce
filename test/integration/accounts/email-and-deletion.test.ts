/**
 * Changing the email address and deleting the account, end to end, on both databases.
 * Mails are read from the real SMTP catcher and their links followed as a user would.
 * ASVS 5.0 ids are named in the test titles.
 */
import { describe, expect, it } from "vitest";
import { DB_KINDS, useTestInstance, BASE_URL, uniqueEmail, type TestInstance } from "../../support/instance.ts";
import { accountHelpers, VERIFY, CHANGE_EMAIL, DELETE, SESSION_COOKIE, sessionSetCookie } from "./support.ts";

describe.each(DB_KINDS)("email change and account deletion on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made));
  const { signIn, me, meWithCookie, mailsTo, settle, tokenGrant, expectRefreshRevoked, signedInSecondBrowser } = accountHelpers(() => t);

  // ------------------------------------------------------- 6. change email

  describe("change email", () => {
    it("6.4.1 a confirmation link opened while signed in as someone else is refused, and still works for its owner", async () => {
      const u = await t.signedInUser({ name: "Owner" });
      const other = await t.signedInUser({ name: "Someone Else" });
      const newEmail = uniqueEmail("moved");
      const since = Date.now();
      expect((await u.client.post("/api/auth/change-email", { newEmail, callbackURL: "/settings" })).status).toBe(200);
      const confirmLink = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: CHANGE_EMAIL, since }), "/api/auth/verify-email");

      // Regression: the link was marked used before Better Auth refused it, so its owner got TOKEN_ALREADY_USED.
      const wrongBrowser = await other.client.get(confirmLink);
      expect(wrongBrowser.status).toBe(302);
      expect(new URL(wrongBrowser.headers.get("location")!, BASE_URL).searchParams.get("error")).toBe("INVALID_USER");

      const owner = await u.client.get(confirmLink);
      expect(owner.status).toBe(302);
      expect(owner.headers.get("location")).toBe("/settings");
      const again = await u.client.get(confirmLink);
      expect(new URL(again.headers.get("location")!, BASE_URL).searchParams.get("error")).toBe("TOKEN_ALREADY_USED");
      await t.mail.waitFor(newEmail, { subject: VERIFY, since });
    });

    it("6.3.7/7.5.1 takes effect only after the OLD address confirms, then the NEW address verifies", async () => {
      const u = await t.signedInUser({ name: "Mover" });
      const newEmail = uniqueEmail("moved");
      let since = Date.now();

      const anonymous = await t.client().post("/api/auth/change-email", { newEmail, callbackURL: "/settings" });
      expect(anonymous.status).toBe(401);

      const req = await u.client.post("/api/auth/change-email", { newEmail, callbackURL: "/settings" });
      expect(req.status, req.text).toBe(200);
      expect(req.json).toEqual({ status: true });
      expect((await me(u.client)).json.email).toBe(u.email);

      const confirm = await t.mail.waitFor(u.email, { subject: CHANGE_EMAIL, since });
      expect(confirm.text).toContain(newEmail);
      await settle();
      expect(mailsTo(newEmail, /./)).toHaveLength(0);

      since = Date.now();
      const confirmLink = t.mail.linkFrom(confirm, "/api/auth/verify-email");
      const step1 = await u.client.get(confirmLink);
      expect(step1.status).toBe(302);
      expect(step1.headers.get("location")).toBe("/settings");
      expect((await me(u.client)).json.email).toBe(u.email); // still the old address
      expect((await signIn(t.client(), newEmail, u.password)).status).toBe(401);

      const again = await u.client.get(confirmLink);
      expect(new URL(again.headers.get("location")!).searchParams.get("error")).toBe("TOKEN_ALREADY_USED");

      const verify = await t.mail.waitFor(newEmail, { subject: VERIFY, since });
      const step2 = await u.client.get(t.mail.linkFrom(verify, "/api/auth/verify-email"));
      expect(step2.status).toBe(302);
      expect(step2.headers.get("location")).toBe("/settings");

      const profile = await me(u.client);
      expect(profile.status).toBe(200);
      expect(profile.json).toMatchObject({ email: newEmail, emailVerified: true });
      expect((await signIn(t.client(), newEmail, u.password)).status).toBe(200);
      expect((await signIn(t.client(), u.email, u.password)).status).toBe(401);
      expect(mailsTo(u.email, VERIFY).filter((m) => m.receivedAt >= since)).toHaveLength(0);
      // Regression: the confirmed change was neither audited nor announced to the old address.
      const notice = await t.mail.waitFor(u.email, { subject: /address of your AI Book account was changed/i, since });
      expect(notice.text).toContain(newEmail);
      const events = await u.client.get("/api/v1/me/security-events");
      expect(events.json.events.map((e: { type: string }) => e.type)).toContain("email_changed");
    });

    it("6.3.8 asking for an address that is already taken gets the same answer and sends nothing", async () => {
      const u = await t.signedInUser();
      const taken = await t.signedInUser();
      const since = Date.now();
      const res = await u.client.post("/api/auth/change-email", { newEmail: taken.email, callbackURL: "/settings" });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: true });
      await settle();
      expect(t.mail.mails.filter((m) => m.receivedAt >= since && (m.to.includes(u.email) || m.to.includes(taken.email)))).toHaveLength(0);
      expect((await me(u.client)).json.email).toBe(u.email);
    });
  });

  // ------------------------------------------------------- 7. delete account

  describe("delete account", () => {
    async function withData() {
      const u = await t.signedInUser();
      const other = await signedInSecondBrowser(u.email, u.password);
      expect((await u.client.patch("/api/v1/me/preferences", { theme: "dark" })).status).toBe(200);
      // The reader's place (issue 14, item 8) goes with the account too.
      const [chapter] = (await u.client.get("/api/v1/book")).json.chapters;
      expect((await u.client.post("/api/v1/me/bookmarks", { chapterSlug: chapter.slug, note: "to reread" })).status).toBe(201);
      expect((await u.client.request("PUT", `/api/v1/me/progress/${chapter.slug}`, { fraction: 0.5 })).status).toBe(200);
      const refreshToken = await tokenGrant(u.email, u.password);
      return { ...u, other, refreshToken };
    }

    async function rowsOf(userId: string) {
      const db = t.services.db.kysely;
      const count = async (q: Promise<{ n: string | number | bigint } | undefined>) => Number((await q)?.n ?? 0);
      return {
        user: await count(db.selectFrom("user").select((e) => e.fn.countAll<number>().as("n")).where("id", "=", userId).executeTakeFirst()),
        session: await count(db.selectFrom("session").select((e) => e.fn.countAll<number>().as("n")).where("userId", "=", userId).executeTakeFirst()),
        account: await count(db.selectFrom("account").select((e) => e.fn.countAll<number>().as("n")).where("userId", "=", userId).executeTakeFirst()),
        user_preferences: await count(
          db.selectFrom("user_preferences").select((e) => e.fn.countAll<number>().as("n")).where("user_id", "=", userId).executeTakeFirst(),
        ),
        refresh_token: await count(
          db.selectFrom("refresh_token").select((e) => e.fn.countAll<number>().as("n")).where("user_id", "=", userId).executeTakeFirst(),
        ),
        security_event: await count(
          db.selectFrom("security_event").select((e) => e.fn.countAll<number>().as("n")).where("user_id", "=", userId).executeTakeFirst(),
        ),
        reading_progress: await count(
          db.selectFrom("reading_progress").select((e) => e.fn.countAll<number>().as("n")).where("user_id", "=", userId).executeTakeFirst(),
        ),
        bookmark: await count(db.selectFrom("bookmark").select((e) => e.fn.countAll<number>().as("n")).where("user_id", "=", userId).executeTakeFirst()),
      };
    }

    async function expectGone(u: Awaited<ReturnType<typeof withData>>, cookies: string[]) {
      expect(await rowsOf(u.userId)).toEqual({ user: 0, session: 0, account: 0, user_preferences: 0, refresh_token: 0, security_event: 0, reading_progress: 0, bookmark: 0 });
      for (const cookie of cookies) expect((await meWithCookie(cookie)).status).toBe(401);
      await expectRefreshRevoked(u.refreshToken);
      expect((await signIn(t.client(), u.email, u.password)).status).toBe(401);
      const audit = await t.services.db.kysely
        .selectFrom("security_event")
        .select(["user_id", "detail"])
        .where("type", "=", "account_deleted")
        .execute();
      expect(audit.some((e) => e.user_id === null && JSON.parse(e.detail ?? "{}").userId === u.userId)).toBe(true);
    }

    it("7.5.1/7.4.2 without a password nothing is deleted until the emailed link is opened in the signed-in browser; then every row is gone", async () => {
      const u = await withData();
      const before = await rowsOf(u.userId);
      expect(before).toMatchObject({ user: 1, session: 2, account: 1, user_preferences: 1, refresh_token: 1, reading_progress: 1, bookmark: 1 });
      expect(before.security_event).toBeGreaterThan(0);

      expect((await t.client().post("/api/auth/delete-user", {})).status).toBe(401);

      const since = Date.now();
      const res = await u.client.post("/api/auth/delete-user", { callbackURL: "/goodbye" });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ success: true, message: "Verification email sent" });
      expect((await me(u.client)).status).toBe(200);
      expect((await rowsOf(u.userId)).user).toBe(1);

      const link = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: DELETE, since }), "/api/auth/delete-user/callback");
      // The link alone (another browser, no session) deletes nothing.
      const stranger = await t.client().get(link);
      expect(stranger.status).toBeGreaterThanOrEqual(400);
      expect((await rowsOf(u.userId)).user).toBe(1);

      const cookies = [u.client.cookieHeader(), u.other.cookieHeader()];
      const done = await u.client.get(link);
      expect(done.status).toBe(302);
      expect(done.headers.get("location")).toBe("/goodbye");
      expect(u.client.cookies.has(SESSION_COOKIE)).toBe(false);
      await expectGone(u, cookies);
      expect((await u.client.get(link)).status).toBeGreaterThanOrEqual(400);
    });

    it("7.5.1/7.4.2 with the right password the account is deleted at once (no mail); a wrong one is INVALID_PASSWORD", async () => {
      const u = await withData();
      const since = Date.now();

      const wrong = await u.client.post("/api/auth/delete-user", { password: "definitely not it" });
      expect(wrong.status).toBe(400);
      expect(wrong.json.code).toBe("INVALID_PASSWORD");
      const empty = await u.client.post("/api/auth/delete-user", { password: "" });
      expect(empty.status).toBe(400);
      expect(empty.json.code).toBe("INVALID_PASSWORD");
      expect((await rowsOf(u.userId)).user).toBe(1);

      // Cross-site (3.5.1): a foreign Origin with the cookie is refused before anything happens.
      const csrf = await u.client.post("/api/auth/delete-user", { password: u.password }, { headers: { origin: "https://evil.example" } });
      expect(csrf.status).toBe(403);
      expect((await rowsOf(u.userId)).user).toBe(1);
      // No session: 401 even with the right password.
      expect((await t.client().post("/api/auth/delete-user", { password: u.password })).status).toBe(401);

      const cookies = [u.client.cookieHeader(), u.other.cookieHeader()];
      const res = await u.client.post("/api/auth/delete-user", { password: u.password });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ success: true, message: "User deleted" });
      expect(sessionSetCookie(res)).toMatch(/max-age=0/i);
      expect(u.client.cookies.has(SESSION_COOKIE)).toBe(false);
      await expectGone(u, cookies);
      await settle();
      expect(mailsTo(u.email, DELETE).filter((m) => m.receivedAt >= since)).toHaveLength(0);
    });
  });
});
