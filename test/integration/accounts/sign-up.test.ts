/**
 * Sign-up, the password policy and email verification, end to end, on both databases.
 * Mails are read from the real SMTP catcher and their links followed as a user would.
 * ASVS 5.0 ids are named in the test titles.
 */
import { describe, expect, it } from "vitest";
import { fakeDate } from "../../support/time.ts";
import { DB_KINDS, useTestInstance, BASE_URL, STRONG_PASSWORD, uniqueEmail, type TestInstance } from "../../support/instance.ts";
import { accountHelpers, MINUTE, DAY, VERIFY, sessionSetCookie } from "./support.ts";

describe.each(DB_KINDS)("sign-up, password policy and email verification on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made));
  const { signUp, signIn, me, mailsTo, settle, refresh, userRow } = accountHelpers(() => t);

  // ------------------------------------------------------- 1. sign-up

  describe("sign-up", () => {
    it("6.3.8 sign-up answers 200 without a session cookie (autoSignIn off) and mails a verification link; a taken email gets the same answer", async () => {
      const c = t.client();
      const email = uniqueEmail("signup");
      const since = Date.now();
      const res = await signUp(c, { name: "Ada Lovelace", email, password: STRONG_PASSWORD });
      expect(res.status, res.text).toBe(200);
      expect(sessionSetCookie(res)).toBeUndefined();
      // No session; only the mark that lets this browser's link sign it in (ASVS 3.5.3).
      expect([...c.cookies.keys()]).toEqual(["aibook.link_binding"]);
      expect(res.json.token ?? null).toBeNull();
      const mail = await t.mail.waitFor(email, { subject: VERIFY, since });
      expect(mail.links.some((l) => l.startsWith(`${BASE_URL}/api/auth/verify-email?token=`))).toBe(true);
      expect((await me(c)).status).toBe(401);

      // Same email again: same status and shape, no session, no account takeover.
      const again = await signUp(t.client(), { name: "Mallory", email, password: "another strong passphrase" });
      expect(again.status).toBe(200);
      expect(Object.keys(again.json).sort()).toEqual(Object.keys(res.json).sort());
      expect(sessionSetCookie(again)).toBeUndefined();
      expect((await userRow(email))?.name).toBe("Ada Lovelace");
    });

    it("6.4.1 sign-in before verification is 403 EMAIL_NOT_VERIFIED and re-sends the link, at most one mail a minute per address", async () => {
      const c = t.client();
      const email = uniqueEmail("unverified");
      expect((await signUp(c, { name: "Unverified Reader", email, password: STRONG_PASSWORD })).status).toBe(200);
      await t.mail.waitFor(email, { subject: VERIFY });

      const first = await signIn(c, email, STRONG_PASSWORD);
      expect(first.status).toBe(403);
      expect(first.json.code).toBe("EMAIL_NOT_VERIFIED");
      expect(sessionSetCookie(first)).toBeUndefined();
      await settle();
      expect(mailsTo(email, VERIFY)).toHaveLength(1); // the sign-up mail was under a minute ago

      const clock = fakeDate();
      clock.jump(61_000);
      const since = Date.now();
      const second = await signIn(c, email, STRONG_PASSWORD);
      expect(second.status).toBe(403);
      expect(second.json.code).toBe("EMAIL_NOT_VERIFIED");
      await t.mail.waitFor(email, { subject: VERIFY, since });
      expect(mailsTo(email, VERIFY)).toHaveLength(2);

      const third = await signIn(c, email, STRONG_PASSWORD);
      expect(third.status).toBe(403);
      await settle();
      expect(mailsTo(email, VERIFY)).toHaveLength(2);

      // A wrong password on an unverified account is the ordinary 401: the 403 needs the password.
      const wrong = await signIn(c, email, "not the right passphrase");
      expect(wrong.status).toBe(401);
      expect((await me(c)).status).toBe(401);
    });
  });

  // ------------------------------------------------------- 2. password policy

  describe("password policy", () => {
    it("6.2.1/6.2.4/6.2.9/6.2.11 sign-up refuses short, common, too long and self-derived passwords with a reason, and creates no account", async () => {
      const cases: { password: string; code: string; name?: string; email?: string; message?: RegExp }[] = [
        { password: "short7!", code: "PASSWORD_TOO_SHORT", message: /\b8\b/ },
        { password: "password123", code: "PASSWORD_TOO_COMMON" },
        { password: "Password123", code: "PASSWORD_TOO_COMMON" },
        { password: "MargaretHamilton2024!", code: "PASSWORD_CONTAINS_USER_INFO", name: "Margaret Hamilton" },
        { password: "apollo.guidance42", code: "PASSWORD_CONTAINS_USER_INFO", email: uniqueEmail("apollo.guidance") },
        { password: "x".repeat(129), code: "PASSWORD_TOO_LONG" },
        { password: "🔥".repeat(129), code: "PASSWORD_TOO_LONG" }, // 129 code points, 258 UTF-16 units
      ];
      for (const tc of cases) {
        const email = tc.email ?? uniqueEmail("policy");
        const res = await signUp(t.client(), { name: tc.name ?? "Policy Tester", email, password: tc.password });
        expect(res.status, `${tc.code}: ${res.text}`).toBe(400);
        expect(res.json.code).toBe(tc.code);
        expect(typeof res.json.message).toBe("string");
        if (tc.message) expect(res.json.message).toMatch(tc.message);
        expect(await userRow(email)).toBeUndefined();
      }
    });

    it("6.2.9/6.2.5 accepts 64-character, 128-code-point and emoji/Unicode passphrases without composition rules", async () => {
      const p64 = "velvet thunder over quiet harbours, ".repeat(2).slice(0, 64);
      expect([...p64]).toHaveLength(64);
      const p128 = "🌊".repeat(128);
      const unicode = "Ünïcødé 🔥 пароль 密码 パスワード";
      for (const password of [p64, p128, unicode]) {
        const email = uniqueEmail("long");
        const res = await signUp(t.client(), { name: "Long Passphrase", email, password });
        expect(res.status, res.text).toBe(200);
      }
      // And they actually sign in (verified account).
      const u = await t.signedInUser({ password: unicode });
      expect((await signIn(t.client(), u.email, unicode)).status).toBe(200);
    });

    it("6.2.8 passwords are NFKC-normalised: fullwidth, ligature and decomposed forms sign in with their NFKC equivalents", async () => {
      const fullwidth = "ｂｌｕｅ ｏｃｅａｎ ｓｉｎｇｓ ｌｏｕｄｌｙ";
      const u1 = await t.signedInUser({ password: fullwidth });
      expect((await signIn(t.client(), u1.email, "blue ocean sings loudly")).status).toBe(200);
      expect((await signIn(t.client(), u1.email, fullwidth)).status).toBe(200);

      const decomposed = "Cafe\u0301 cre\u0300me bru\u0302le\u0301e ﬁnale";
      const u2 = await t.signedInUser({ password: decomposed });
      expect((await signIn(t.client(), u2.email, "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e finale")).status).toBe(200);
    });

    it("6.2.8 a 100-character password is verified exactly: no truncation, no case folding", async () => {
      const password = "lighthouse keepers count the waves at night while gulls argue about bread crumbs on the old pier".padEnd(100, "!");
      expect(password).toHaveLength(100);
      const u = await t.signedInUser({ password });
      for (const wrong of [password.slice(0, 99) + "?", password.slice(0, 72), password.toUpperCase()]) {
        const res = await signIn(t.client(), u.email, wrong);
        expect(res.status).toBe(401);
        expect(res.json.code).toBe("INVALID_EMAIL_OR_PASSWORD");
      }
      expect((await signIn(t.client(), u.email, password)).status).toBe(200);
    });

    it("6.4.6 nobody chooses a reader's password: not over HTTP, not through Better Auth's server API", async () => {
      const admin = await t.signedInUser({ name: "Site Admin" });
      await t.services.db.kysely.updateTable("user").set({ role: "admin" }).where("id", "=", admin.userId).execute();
      t.services.userEvents.changed(admin.userId);
      const target = await t.signedInUser({ name: "Rosalind Franklin" });

      // An admin may send a reset link, never pick the password (nor create an account with one).
      const set = await admin.client.post("/api/auth/admin/set-user-password", { userId: target.userId, newPassword: "a fresh admin-chosen passphrase" });
      expect(set.status, set.text).toBe(403);
      expect(set.json.code).toBe("STAFF_ACTION_DISABLED");
      const created = await admin.client.post("/api/auth/admin/create-user", { email: uniqueEmail("created"), name: "Created User", password: "a long created passphrase" });
      expect(created.status).toBe(403);
      expect(created.json.code).toBe("STAFF_ACTION_DISABLED");
      expect((await signIn(t.client(), target.email, target.password)).status).toBe(200);

      // Server-side (no HTTP request): no role has the permission (auth/roles.ts), whatever the password.
      const headers = new Headers({ cookie: admin.client.cookieHeader() });
      const direct = await t.services.auth.api
        .setUserPassword({ body: { userId: target.userId, newPassword: "a fresh admin-chosen passphrase" }, headers })
        .then(() => null, (err: unknown) => err as { body?: { code?: string } });
      expect(direct?.body?.code).toBe("YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD");
      expect((await signIn(t.client(), target.email, target.password)).status).toBe(200);
    });
  });

  // ------------------------------------------------------- 3. email verification

  describe("email verification", () => {
    it("6.4.1 the link works once (302, signed in, verified); a second use is TOKEN_ALREADY_USED", async () => {
      const c = t.client();
      const email = uniqueEmail("verify");
      const since = Date.now();
      expect((await signUp(c, { name: "Link Follower", email, password: STRONG_PASSWORD, callbackURL: "/welcome" })).status).toBe(200);
      const link = t.mail.linkFrom(await t.mail.waitFor(email, { subject: VERIFY, since }), "/api/auth/verify-email");
      expect(new URL(link).searchParams.get("callbackURL")).toBe("/welcome");

      const first = await c.get(link);
      expect(first.status).toBe(302);
      expect(first.headers.get("location")).toBe("/welcome");
      expect(sessionSetCookie(first)).toBeDefined();
      const profile = await me(c);
      expect(profile.status).toBe(200);
      expect(profile.json).toMatchObject({ email, emailVerified: true });

      const again = await t.client().get(link);
      expect(again.status).toBe(302);
      const location = new URL(again.headers.get("location")!);
      expect(location.pathname).toBe("/welcome");
      expect(location.searchParams.get("error")).toBe("TOKEN_ALREADY_USED");
      expect(sessionSetCookie(again)).toBeUndefined();

      const noCallback = new URL(link);
      noCallback.searchParams.delete("callbackURL");
      const bare = await t.client().get(noCallback.toString());
      expect(bare.status).toBe(400);
      expect(bare.json.code).toBe("TOKEN_ALREADY_USED");
    });

    it("6.4.1 an expired link (after 24 h) answers TOKEN_EXPIRED and verifies nothing", async () => {
      const c = t.client();
      const email = uniqueEmail("expired");
      const clock = fakeDate();
      let since = Date.now();
      expect((await signUp(c, { name: "Slow Reader", email, password: STRONG_PASSWORD })).status).toBe(200);
      const linkA = t.mail.linkFrom(await t.mail.waitFor(email, { subject: VERIFY, since }), "/api/auth/verify-email");
      clock.jump(61_000);
      since = Date.now();
      expect((await signIn(c, email, STRONG_PASSWORD)).status).toBe(403);
      const linkB = t.mail.linkFrom(await t.mail.waitFor(email, { subject: VERIFY, since }), "/api/auth/verify-email");
      expect(linkB).not.toBe(linkA);

      clock.jump(DAY + MINUTE);
      const withCallback = await c.get(linkA);
      expect(withCallback.status).toBe(302);
      expect(new URL(withCallback.headers.get("location")!, BASE_URL).searchParams.get("error")).toBe("TOKEN_EXPIRED");
      expect(sessionSetCookie(withCallback)).toBeUndefined();

      const bare = new URL(linkB);
      bare.searchParams.delete("callbackURL");
      const res = await c.get(bare.toString());
      expect(res.status).toBe(401);
      expect(res.json.code).toBe("TOKEN_EXPIRED");
      expect(Boolean((await userRow(email))?.emailVerified)).toBe(false);
    });

    it("6.4.1 a tampered token is INVALID_TOKEN, and does not burn the real one", async () => {
      const c = t.client();
      const email = uniqueEmail("tamper");
      const since = Date.now();
      expect((await signUp(c, { name: "Tamper Target", email, password: STRONG_PASSWORD })).status).toBe(200);
      const link = t.mail.linkFrom(await t.mail.waitFor(email, { subject: VERIFY, since }), "/api/auth/verify-email");
      const url = new URL(link);
      const token = url.searchParams.get("token")!;
      const i = token.length - 12; // inside the signature, away from the padding bits
      const tampered = token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);

      const forged = new URL(link);
      forged.searchParams.set("token", tampered);
      const redirected = await c.get(forged.toString());
      expect(redirected.status).toBe(302);
      expect(new URL(redirected.headers.get("location")!, BASE_URL).searchParams.get("error")).toBe("INVALID_TOKEN");

      forged.searchParams.set("token", tampered.slice(0, -20) + "x".repeat(20));
      forged.searchParams.delete("callbackURL");
      const bare = await c.get(forged.toString());
      expect(bare.status).toBe(401);
      expect(bare.json.code).toBe("INVALID_TOKEN");

      expect((await c.get("/api/auth/verify-email?token=not-a-jwt")).json.code).toBe("INVALID_TOKEN");
      expect(Boolean((await userRow(email))?.emailVerified)).toBe(false);
      expect((await c.get(link)).status).toBe(302);
      expect(Boolean((await userRow(email))?.emailVerified)).toBe(true);
    });

    it("6.3.8 resend: 200 then 429 EMAIL_RATE_LIMITED with Retry-After within 60 s, the same for unknown emails", async () => {
      const email = uniqueEmail("resend");
      expect((await signUp(t.client(), { name: "Resender", email, password: STRONG_PASSWORD })).status).toBe(200);
      await t.mail.waitFor(email, { subject: VERIFY });

      // The sign-up mail itself counts: asking again within the minute is refused.
      const tooSoon = await t.client().post("/api/auth/send-verification-email", { email });
      expect(tooSoon.status).toBe(429);
      expect(tooSoon.json.code).toBe("EMAIL_RATE_LIMITED");

      const clock = fakeDate();
      clock.jump(61_000);
      const unknown = uniqueEmail("nobody");
      const since = Date.now();
      const [known1, unknown1] = await Promise.all([
        t.client().post("/api/auth/send-verification-email", { email }),
        t.client().post("/api/auth/send-verification-email", { email: unknown }),
      ]);
      expect(known1.status).toBe(200);
      expect(unknown1.status).toBe(200);
      expect(known1.json).toEqual({ status: true });
      expect(unknown1.json).toEqual(known1.json);
      await t.mail.waitFor(email, { subject: VERIFY, since });
      expect(mailsTo(email, VERIFY)).toHaveLength(2);

      const [known2, unknown2] = await Promise.all([
        t.client().post("/api/auth/send-verification-email", { email }),
        t.client().post("/api/auth/send-verification-email", { email: unknown }),
      ]);
      for (const res of [known2, unknown2]) {
        expect(res.status).toBe(429);
        expect(res.json.code).toBe("EMAIL_RATE_LIMITED");
        const retryAfter = Number(res.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }
      expect(unknown2.json.message).toBe(known2.json.message);
      await settle();
      expect(mailsTo(email, VERIFY)).toHaveLength(2);
      expect(mailsTo(unknown, /./)).toHaveLength(0);
    });
  });
});
