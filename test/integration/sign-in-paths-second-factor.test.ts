/**
 * Every sign-in path asks for the second factor (issue 10), on both databases. Better Auth's
 * two-factor plugin challenges password sign-ins only; a GitHub sign-in (its endpoints played
 * in-process) and a verification link's automatic sign-in opened a full session without the code.
 * Now both answer as a password sign-in does: no session, Better Auth's pending-challenge
 * cookie, and the browser sent to the web app's code step; the code then signs in through
 * Better Auth's own verify routes. TOTP codes are computed in the test (RFC 6238).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { BASE_URL, createTestInstance, DB_KINDS, type TestClient, type TestInstance, type TestResponse } from "../support/instance.ts";
import { playGitHub, signInWithGitHub } from "../support/github.ts";
import { enrolSecondFactor } from "../support/staff.ts";
import { totpCode } from "../support/totp.ts";
import { VERIFY, CHANGE_EMAIL } from "./accounts/support.ts";

describe.each(DB_KINDS)("second factor on every sign-in path, %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RATE_LIMIT: "off", GITHUB_CLIENT_ID: "gh-client-id", GITHUB_CLIENT_SECRET: "gh-client-secret" });
  });
  afterAll(() => t.close());
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const sessionsOf = async (userId: string) =>
    (await t.services.db.kysely.selectFrom("session").select("token").where("userId", "=", userId).execute()).map((r) => r.token);
  const setsCookie = (res: TestResponse, name: RegExp) =>
    res.headers.getSetCookie().some((l) => name.test(l.split("=")[0]!) && !/Max-Age=0/i.test(l) && !/^[^=]+=;/.test(l));
  const SESSION = /session_token$/;
  const TWO_FACTOR = /two_factor$/;
  const TRUST = /trust_device$/;

  /** A verified password account with TOTP on, signed in (enrolment used this window's code). */
  async function enrolled() {
    const u = await t.signedInUser({ name: "Guarded Reader" });
    return { ...u, ...(await enrolSecondFactor(u.client, u.password)) };
  }

  /** The answer sent the browser to the code step, with no session and the challenge pending. */
  async function expectChallenged(res: TestResponse, browser: TestClient, userId: string, sessionsBefore: string[], next?: string) {
    expect(res.status, res.text).toBe(302);
    const location = new URL(res.headers.get("location")!, BASE_URL);
    expect(location.origin + location.pathname).toBe(`${BASE_URL}/sign-in`);
    expect(location.searchParams.get("second-factor")).toBe("1");
    if (next) expect(location.searchParams.get("next")).toBe(next);
    expect(setsCookie(res, SESSION)).toBe(false);
    expect(setsCookie(res, TWO_FACTOR)).toBe(true);
    expect(await sessionsOf(userId)).toEqual(sessionsBefore);
    expect((await browser.get("/api/v1/me")).status).toBe(401);
  }

  describe("GitHub (the OAuth callback)", () => {
    it("an account with a factor: no session, the code step; a right TOTP code then signs in", async () => {
      const u = await enrolled();
      playGitHub(u.email);
      const before = await sessionsOf(u.userId);
      const browser = t.client();
      await expectChallenged(await signInWithGitHub(browser, "/read"), browser, u.userId, before, "/read");

      // A wrong code opens nothing; the right one (next window: this one was the enrolment's) does.
      expect((await browser.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 10) })).status).toBe(401);
      const right = await browser.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 1) });
      expect(right.status, right.text).toBe(200);
      expect(setsCookie(right, SESSION)).toBe(true);
      expect((await browser.get("/api/v1/me")).json.id).toBe(u.userId);
      // The GitHub identity is linked to the account (ASVS 6.8.1: by provider and subject from now on).
      const accounts = await t.services.db.kysely.selectFrom("account").select("providerId").where("userId", "=", u.userId).execute();
      expect(accounts.map((a) => a.providerId).sort()).toEqual(["credential", "github"]);
    });

    it("a recovery code completes it too, once", async () => {
      const u = await enrolled();
      playGitHub(u.email);
      const browser = t.client();
      await expectChallenged(await signInWithGitHub(browser), browser, u.userId, await sessionsOf(u.userId));
      expect((await browser.post("/api/auth/two-factor/verify-backup-code", { code: u.backupCodes[0] })).status).toBe(200);
      expect((await browser.get("/api/v1/me")).json.id).toBe(u.userId);

      const other = t.client();
      await expectChallenged(await signInWithGitHub(other), other, u.userId, await sessionsOf(u.userId));
      expect((await other.post("/api/auth/two-factor/verify-backup-code", { code: u.backupCodes[0] })).status).toBe(401);
    });

    it("a device trusted at the code step signs in with GitHub alone; another browser is still asked", async () => {
      const u = await enrolled();
      playGitHub(u.email);
      const laptop = t.client();
      await expectChallenged(await signInWithGitHub(laptop), laptop, u.userId, await sessionsOf(u.userId));
      const trusted = await laptop.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 1), trustDevice: true });
      expect(trusted.status, trusted.text).toBe(200);
      expect(setsCookie(trusted, TRUST)).toBe(true);
      await laptop.post("/api/auth/sign-out", {});
      expect((await laptop.get("/api/v1/me")).status).toBe(401);

      const again = await signInWithGitHub(laptop, "/read");
      expect(again.status).toBe(302);
      expect(again.headers.get("location")).toMatch(/\/read$/);
      expect(setsCookie(again, SESSION)).toBe(true);
      expect((await laptop.get("/api/v1/me")).json.id).toBe(u.userId);

      const phone = t.client();
      await expectChallenged(await signInWithGitHub(phone), phone, u.userId, await sessionsOf(u.userId));
    });

    it("an account without a factor signs in as before", async () => {
      const u = await t.signedInUser();
      playGitHub(u.email);
      const browser = t.client();
      const res = await signInWithGitHub(browser, "/read");
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toMatch(/\/read$/);
      expect(setsCookie(res, TWO_FACTOR)).toBe(false);
      expect((await browser.get("/api/v1/me")).json.id).toBe(u.userId);
    });

    it("a banned account with a factor is still refused (BANNED_USER), with no challenge", async () => {
      const u = await enrolled();
      await t.services.db.kysely.updateTable("user").set({ banned: t.kind === "sqlite" ? (1 as never) : true, banReason: "test" }).where("id", "=", u.userId).execute();
      await t.services.db.kysely.deleteFrom("session").where("userId", "=", u.userId).execute();
      t.services.userEvents.changed(u.userId);
      playGitHub(u.email);
      const browser = t.client();
      const res = await signInWithGitHub(browser);
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get("location")!, BASE_URL).searchParams.get("error")?.toUpperCase()).toMatch(/BANNED/);
      expect(setsCookie(res, SESSION)).toBe(false);
      expect(setsCookie(res, TWO_FACTOR)).toBe(false);
      expect(await sessionsOf(u.userId)).toEqual([]);
    });
  });

  describe("the verification link's automatic sign-in", () => {
    /** An enrolled account whose address is unverified again: a password sign-in sends a fresh link, bound to that browser. */
    async function unverifiedWithLink() {
      const u = await enrolled();
      await t.services.db.kysely.updateTable("user").set({ emailVerified: t.kind === "sqlite" ? (0 as never) : false }).where("id", "=", u.userId).execute();
      t.services.userEvents.changed(u.userId);
      // Better Auth's link is a JWT with a seconds `iat`: one issued in the same second as the
      // sign-up link would be that very link, already used.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const browser = t.client();
      const since = Date.now();
      const signIn = await browser.post("/api/auth/sign-in/email", { email: u.email, password: u.password });
      expect(signIn.status).toBe(403);
      expect(signIn.json.code).toBe("EMAIL_NOT_VERIFIED");
      const link = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: VERIFY, since }), "/api/auth/verify-email");
      return { ...u, browser, link };
    }

    it("in the browser that asked for it: verified, but no session until the code", async () => {
      const u = await unverifiedWithLink();
      const before = await sessionsOf(u.userId);
      const res = await u.browser.get(u.link);
      await expectChallenged(res, u.browser, u.userId, before);
      const verified = await t.services.db.kysely.selectFrom("user").select("emailVerified").where("id", "=", u.userId).executeTakeFirstOrThrow();
      expect(Boolean(verified.emailVerified)).toBe(true);
      const right = await u.browser.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 1) });
      expect(right.status, right.text).toBe(200);
      expect((await u.browser.get("/api/v1/me")).json.id).toBe(u.userId);
    });

    it("in another browser: verified, signed in nowhere, and no challenge either", async () => {
      const u = await unverifiedWithLink();
      const before = await sessionsOf(u.userId);
      const elsewhere = t.client();
      const res = await elsewhere.get(u.link);
      expect(res.status).toBe(302);
      expect(new URL(res.headers.get("location")!, BASE_URL).searchParams.get("sign_in")).toBe("required");
      expect(setsCookie(res, SESSION)).toBe(false);
      expect(setsCookie(res, TWO_FACTOR)).toBe(false);
      expect(await sessionsOf(u.userId)).toEqual(before);
    });

    it("a signed-in reader confirming a new address keeps their session: it is not a sign-in", async () => {
      const u = await enrolled();
      const newEmail = `moved.${Date.now()}@example.com`;
      const since = Date.now();
      expect((await u.client.post("/api/auth/change-email", { newEmail, callbackURL: "/account" })).status).toBe(200);
      const confirm = t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: CHANGE_EMAIL, since }), "/api/auth/verify-email");
      expect((await u.client.get(confirm)).status).toBe(302);
      const verify = t.mail.linkFrom(await t.mail.waitFor(newEmail, { subject: VERIFY, since }), "/api/auth/verify-email");
      const res = await u.client.get(verify);
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/account");
      expect(setsCookie(res, TWO_FACTOR)).toBe(false);
      expect((await u.client.get("/api/v1/me")).json).toMatchObject({ id: u.userId, email: newEmail });
    });
  });
});
