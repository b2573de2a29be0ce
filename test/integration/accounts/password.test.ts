/**
 * Password reset and password change, end to end, on both databases.
 * Mails are read from the real SMTP catcher and their links followed as a user would.
 * ASVS 5.0 ids are named in the test titles.
 */
import { describe, expect, it } from "vitest";
import { fakeDate } from "../../support/time.ts";
import { DB_KINDS, useTestInstance, BASE_URL, uniqueEmail, type TestInstance } from "../../support/instance.ts";
import { accountHelpers, MINUTE, HOUR, RESET, CHANGED, median, sessionSetCookie } from "./support.ts";

describe.each(DB_KINDS)("password reset and change on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made));
  const { signIn, me, meWithCookie, mailsTo, settle, tokenGrant, refresh, expectRefreshRevoked, signedInSecondBrowser } = accountHelpers(() => t);

  // ------------------------------------------------------- 4. password reset

  describe("password reset", () => {
    it("6.3.8/6.4.1/7.4.1 same answer for known and unknown emails; the link works once, ends every session and refresh token, and notifies", async () => {
      const u = await t.signedInUser({ name: "Forgetful Reader" });
      const other = await signedInSecondBrowser(u.email, u.password);
      const oldCookies = [u.client.cookieHeader(), other.cookieHeader()];
      const refreshToken = await tokenGrant(u.email, u.password);
      expect((await me(u.client)).status).toBe(200);

      const unknown = uniqueEmail("ghost");
      const since = Date.now();
      const known = await t.client().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" });
      const ghost = await t.client().post("/api/auth/request-password-reset", { email: unknown, redirectTo: "/reset-password" });
      expect(known.status).toBe(200);
      expect(ghost.status).toBe(known.status);
      expect(ghost.json).toEqual(known.json);
      expect(ghost.text).toBe(known.text);

      const mail = await t.mail.waitFor(u.email, { subject: RESET, since });
      await settle();
      expect(mailsTo(unknown, /./)).toHaveLength(0);

      const link = t.mail.linkFrom(mail, "/api/auth/reset-password/");
      const landing = await t.client().get(link);
      expect(landing.status).toBe(302);
      const target = new URL(landing.headers.get("location")!);
      expect(`${target.origin}${target.pathname}`).toBe(`${BASE_URL}/reset-password`);
      const token = target.searchParams.get("token")!;
      expect(token).toBeTruthy();
      expect(link).toContain(token);

      // The policy applies to the new password (6.2.x), and a refused one does not use up the token.
      const browser = t.client();
      for (const [newPassword, code] of [
        ["password123", "PASSWORD_TOO_COMMON"],
        ["short", "PASSWORD_TOO_SHORT"],
        [`${u.email}!`, "PASSWORD_CONTAINS_USER_INFO"],
        ["forgetful reader 2024", "PASSWORD_CONTAINS_USER_INFO"],
      ] as const) {
        const res = await browser.post("/api/auth/reset-password", { newPassword, token });
        expect(res.status, res.text).toBe(400);
        expect(res.json.code).toBe(code);
      }

      const newPassword = "a brand new reset passphrase";
      const changedSince = Date.now();
      const reset = await browser.post("/api/auth/reset-password", { newPassword, token });
      expect(reset.status, reset.text).toBe(200);
      expect(reset.json).toEqual({ status: true });

      const reused = await browser.post("/api/auth/reset-password", { newPassword: "yet another fresh passphrase", token });
      expect(reused.status).toBe(400);
      expect(reused.json.code).toBe("INVALID_TOKEN");
      const landingAgain = await t.client().get(link);
      expect(new URL(landingAgain.headers.get("location")!).searchParams.get("error")).toBe("INVALID_TOKEN");

      for (const cookie of oldCookies) expect((await meWithCookie(cookie)).status).toBe(401);
      expect((await me(u.client)).status).toBe(401);
      await expectRefreshRevoked(refreshToken);

      const notice = await t.mail.waitFor(u.email, { subject: CHANGED, since: changedSince });
      expect(notice.text).toMatch(/password .* was changed/i);

      expect((await signIn(t.client(), u.email, u.password)).status).toBe(401);
      expect((await signIn(t.client(), u.email, newPassword)).status).toBe(200);
    });

    it("6.4.1 a reset link expires after 1 hour", async () => {
      const u = await t.signedInUser();
      const clock = fakeDate();
      const since = Date.now();
      expect((await t.client().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" })).status).toBe(200);
      const link = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: RESET, since }), "/api/auth/reset-password/");
      const token = new URL(link).pathname.split("/").pop()!;

      clock.jump(HOUR + MINUTE);
      const landing = await t.client().get(link);
      expect(landing.status).toBe(302);
      const location = new URL(landing.headers.get("location")!);
      expect(location.searchParams.get("error")).toBe("INVALID_TOKEN");
      expect(location.searchParams.get("token")).toBeNull();

      const res = await t.client().post("/api/auth/reset-password", { newPassword: "too late for this passphrase", token });
      expect(res.status).toBe(400);
      expect(res.json.code).toBe("INVALID_TOKEN");
      expect((await signIn(t.client(), u.email, u.password)).status).toBe(200);
    });

    it("6.3.8 reset requests take about as long for known and unknown emails (answered before any work)", async () => {
      const u = await t.signedInUser();
      const post = (email: string) => t.client().post("/api/auth/request-password-reset", { email, redirectTo: "/reset-password" });
      await post(u.email);
      await post(uniqueEmail("warmup"));
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 10; i++) {
        let start = performance.now();
        expect((await post(u.email)).status).toBe(200);
        known.push(performance.now() - start);
        start = performance.now();
        expect((await post(uniqueEmail("timing"))).status).toBe(200);
        unknown.push(performance.now() - start);
      }
      const [a, b] = [median(known), median(unknown)];
      const close = Math.abs(a - b) < 15 || Math.max(a, b) / Math.max(0.001, Math.min(a, b)) < 3;
      expect(close, `medians known=${a.toFixed(2)} ms unknown=${b.toFixed(2)} ms`).toBe(true);
    });
  });

  // ------------------------------------------------------- 5. change password

  describe("change password", () => {
    it("6.2.3 needs the current password and applies the policy to the new one", async () => {
      const u = await t.signedInUser({ name: "Careful Changer" });
      const wrong = await u.client.post("/api/auth/change-password", {
        currentPassword: "not my current passphrase",
        newPassword: "a good new passphrase here",
      });
      expect(wrong.status).toBe(400);
      expect(wrong.json.code).toBe("INVALID_PASSWORD");

      const missing = await u.client.post("/api/auth/change-password", { newPassword: "a good new passphrase here" });
      expect(missing.status).toBe(400);

      for (const [newPassword, code] of [
        ["password123", "PASSWORD_TOO_COMMON"],
        ["short", "PASSWORD_TOO_SHORT"],
        ["x".repeat(129), "PASSWORD_TOO_LONG"],
        ["Careful Changer 99!", "PASSWORD_CONTAINS_USER_INFO"],
      ] as const) {
        const res = await u.client.post("/api/auth/change-password", { currentPassword: u.password, newPassword });
        expect(res.status, res.text).toBe(400);
        expect(res.json.code).toBe(code);
      }
      // Not signed in: 401.
      const anonymous = await t.client().post("/api/auth/change-password", { currentPassword: u.password, newPassword: "a good new passphrase here" });
      expect(anonymous.status).toBe(401);
      await settle();
      expect(mailsTo(u.email, CHANGED)).toHaveLength(0);
      expect((await signIn(t.client(), u.email, u.password)).status).toBe(200);
    });

    it("6.3.7/7.4.3 a change notifies by mail; other sessions live on unless revokeOtherSessions, which ends them and every refresh token", async () => {
      const u = await t.signedInUser();
      const other = await signedInSecondBrowser(u.email, u.password);
      const refreshToken = await tokenGrant(u.email, u.password);

      let since = Date.now();
      const keep = await u.client.post("/api/auth/change-password", { currentPassword: u.password, newPassword: "second passphrase for the test" });
      expect(keep.status, keep.text).toBe(200);
      expect(keep.json.token).toBeNull();
      await t.mail.waitFor(u.email, { subject: CHANGED, since });
      expect((await me(other)).status).toBe(200);
      expect((await me(u.client)).status).toBe(200);
      const rotated = await refresh(refreshToken);
      expect(rotated.status).toBe(200);
      const liveRefresh = rotated.json.refresh_token as string;
      expect((await signIn(t.client(), u.email, u.password)).status).toBe(401);

      since = Date.now();
      const otherCookie = other.cookieHeader();
      const revoke = await u.client.post("/api/auth/change-password", {
        currentPassword: "second passphrase for the test",
        newPassword: "third passphrase for the test",
        revokeOtherSessions: true,
      });
      expect(revoke.status, revoke.text).toBe(200);
      expect(typeof revoke.json.token).toBe("string");
      expect(sessionSetCookie(revoke)).toBeDefined();
      await t.mail.waitFor(u.email, { subject: CHANGED, since });
      expect((await meWithCookie(otherCookie)).status).toBe(401);
      expect((await me(u.client)).status).toBe(200); // the caller keeps a fresh session
      await expectRefreshRevoked(liveRefresh);
      expect((await signIn(t.client(), u.email, "third passphrase for the test")).status).toBe(200);
    });
  });
});
