/**
 * Second factors through Better Auth's two-factor plugin (routes unchanged), on both databases:
 * enrolment confirmed by a first code, sign-in asking for the code before any session exists,
 * recovery codes used once. TOTP codes are computed in the test (test/support/totp.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, DB_KINDS, type TestInstance } from "../support/instance.ts";
import { totpCode } from "../support/totp.ts";

describe.each(DB_KINDS)("two factors on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RATE_LIMIT: "off" });
  });
  afterAll(() => t.close());

  const sessionsOf = (userId: string) => t.services.db.kysely.selectFrom("session").select("id").where("userId", "=", userId).execute();
  const hasSessionCookie = (res: { headers: Headers }) =>
    res.headers.getSetCookie().some((l) => /session_token=[^;]+/.test(l) && !/Max-Age=0/.test(l));

  /** A reader with TOTP enrolled and confirmed: their authenticator's URI and recovery codes. */
  async function enrolled() {
    const u = await t.signedInUser({ name: "Two Factor Reader" });
    const enable = await u.client.post("/api/auth/two-factor/enable", { password: u.password });
    expect(enable.status, enable.text).toBe(200);
    const { totpURI, backupCodes } = enable.json as { totpURI: string; backupCodes: string[] };
    expect(totpURI).toMatch(/^otpauth:\/\/totp\//);
    expect(backupCodes).toHaveLength(10);
    const row = () => t.services.db.kysely.selectFrom("user").select("twoFactorEnabled").where("id", "=", u.userId).executeTakeFirstOrThrow();
    // Not on until a first code proves the authenticator has it.
    expect(Boolean((await row()).twoFactorEnabled)).toBe(false);
    const enrolCode = totpCode(totpURI);
    const confirm = await u.client.post("/api/auth/two-factor/verify-totp", { code: enrolCode });
    expect(confirm.status, confirm.text).toBe(200);
    expect(Boolean((await row()).twoFactorEnabled)).toBe(true);
    return { ...u, totpURI, backupCodes, enrolCode };
  }

  it("enrolment needs the password, and is confirmed by a first code", async () => {
    const u = await t.signedInUser();
    const wrong = await u.client.post("/api/auth/two-factor/enable", { password: "not the password" });
    expect(wrong.status).toBe(400);
    const { totpURI } = await enrolled();
    expect(new URL(totpURI).searchParams.get("issuer")).toBe("AI Book");
  });

  it("a password sign-in asks for the code and opens no session until it comes; a wrong code opens none", async () => {
    const u = await enrolled();
    const before = (await sessionsOf(u.userId)).length;
    const browser = t.client();
    const signIn = await browser.post("/api/auth/sign-in/email", { email: u.email, password: u.password });
    expect(signIn.status).toBe(200);
    expect(signIn.json).toMatchObject({ twoFactorRedirect: true });
    expect(hasSessionCookie(signIn)).toBe(false);
    expect((await sessionsOf(u.userId)).length).toBe(before);
    expect((await browser.get("/api/v1/me")).status).toBe(401);

    const wrongCode = totpCode(u.totpURI, Date.now(), 10);
    const wrong = await browser.post("/api/auth/two-factor/verify-totp", { code: wrongCode });
    expect(wrong.status).toBe(401);
    expect((await sessionsOf(u.userId)).length).toBe(before);

    // The enrolment's code is spent: a code is good once (the next window's is accepted too).
    const reused = await browser.post("/api/auth/two-factor/verify-totp", { code: u.enrolCode });
    expect(reused.status).toBe(401);
    expect(reused.json.code).toBe("INVALID_CODE");
    expect((await sessionsOf(u.userId)).length).toBe(before);
    const right = await browser.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 1) });
    expect(right.status, right.text).toBe(200);
    expect(hasSessionCookie(right)).toBe(true);
    expect((await browser.get("/api/v1/me")).json.id).toBe(u.userId);
  });

  it("a recovery code signs in once; the same code a second time does not", async () => {
    const u = await enrolled();
    const [code] = u.backupCodes;
    const first = t.client();
    expect((await first.post("/api/auth/sign-in/email", { email: u.email, password: u.password })).json.twoFactorRedirect).toBe(true);
    const used = await first.post("/api/auth/two-factor/verify-backup-code", { code });
    expect(used.status, used.text).toBe(200);
    expect((await first.get("/api/v1/me")).status).toBe(200);

    const second = t.client();
    expect((await second.post("/api/auth/sign-in/email", { email: u.email, password: u.password })).json.twoFactorRedirect).toBe(true);
    const again = await second.post("/api/auth/two-factor/verify-backup-code", { code });
    expect(again.status).toBe(401);
    expect((await second.get("/api/v1/me")).status).toBe(401);
  });

  it("the token API: mfa_required without a code, tokens with a right TOTP or recovery code, wrong codes throttled like wrong passwords", async () => {
    const u = await enrolled();
    const grant = (extra: object = {}) => t.client().post("/api/v1/auth/token", { grant_type: "password", email: u.email, password: u.password, ...extra });

    const bare = await grant();
    expect(bare.status).toBe(403);
    expect(bare.json).toMatchObject({ error: "mfa_required", code: "MFA_REQUIRED" });
    expect(bare.json.error_description).toEqual(expect.any(String));
    expect(bare.json.access_token).toBeUndefined();

    const sessionsBefore = (await sessionsOf(u.userId)).length;
    // The enrolment used this window's code (6.5.1: once only): the next window's.
    const withTotp = await grant({ otp: totpCode(u.totpURI, Date.now(), 1) });
    expect(withTotp.status, withTotp.text).toBe(200);
    expect((await sessionsOf(u.userId)).length).toBe(sessionsBefore);
    const replayed = await grant({ otp: totpCode(u.totpURI, Date.now(), 1) });
    expect(replayed.status).toBe(400);
    expect(replayed.json.code).toBe("INVALID_CODE");
    expect(withTotp.json.access_token).toEqual(expect.any(String));
    // The browser session Better Auth opened to check the code is gone: only the tokens remain.
    const me = await t.client().get("/api/v1/me", { headers: { authorization: `Bearer ${withTotp.json.access_token}` } });
    expect(me.json.id).toBe(u.userId);

    const recovery = u.backupCodes[1]!;
    expect((await grant({ otp: recovery })).status).toBe(200);
    const reused = await grant({ otp: recovery });
    expect(reused.status).toBe(400);
    expect(reused.json).toMatchObject({ error: "invalid_grant", code: "INVALID_CODE" });

    // Wrong codes: each counts against the account, and the right password does not clear them.
    let throttled = null as null | { status: number; json: any };
    for (let i = 0; i < 12 && !throttled; i++) {
      const res = await grant({ otp: "000000" === totpCode(u.totpURI) ? "111111" : "000000" });
      if (res.status === 429) throttled = res;
      else expect(res.status).toBe(400);
    }
    expect(throttled?.json.code).toBe("TOO_MANY_ATTEMPTS");
  });

  it("the sign-in's code step: wrong codes count against the account like wrong passwords, the right password clears nothing, the right code is the sign-in", async () => {
    const u = await enrolled();
    const wrong = () => ("000000" === totpCode(u.totpURI) ? "111111" : "000000");
    // A right code ends a sign-in, recorded with its factor.
    const first = t.client();
    expect((await first.post("/api/auth/sign-in/email", { email: u.email, password: u.password })).json.twoFactorRedirect).toBe(true);
    expect((await first.post("/api/auth/two-factor/verify-totp", { code: wrong() })).status).toBe(401);
    expect((await first.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI, Date.now(), 1) })).status).toBe(200);
    const signIns = await t.services.db.kysely.selectFrom("security_event").select(["type", "detail"]).where("user_id", "=", u.userId).where("type", "in", ["sign_in", "sign_in_failed"]).execute();
    expect(signIns.map((e) => [e.type, JSON.parse(e.detail!)])).toEqual([
      ["sign_in_failed", { factor: "second" }],
      ["sign_in", { factor: "totp" }],
    ]);

    // Someone with the password guessing codes: a new challenge every few tries (Better Auth ends
    // one after five), the right password each time; the account locks all the same.
    let locked = null as null | { status: number; json: any };
    for (let round = 0; round < 5 && !locked; round++) {
      const c = t.client();
      const pw = await c.post("/api/auth/sign-in/email", { email: u.email, password: u.password });
      if (pw.status === 429) {
        locked = pw;
        break;
      }
      expect(pw.json.twoFactorRedirect).toBe(true);
      for (let i = 0; i < 4 && !locked; i++) {
        const res = await c.post("/api/auth/two-factor/verify-totp", { code: wrong() });
        if (res.status === 429) locked = res;
        else expect(res.status).toBe(401);
      }
    }
    expect(locked?.json.code).toBe("TOO_MANY_ATTEMPTS");
    // Locked: the right password and the right code are refused too, until it lifts.
    const c = t.client();
    const pw = await c.post("/api/auth/sign-in/email", { email: u.email, password: u.password });
    expect(pw.status).toBe(429);
    expect(await sessionsOf(u.userId)).toHaveLength(2); // the enrolment's and the first sign-in's
  });

  it("adding and removing a factor, and using a recovery code, are in the reader's activity and mailed to them", async () => {
    const since = Date.now();
    const u = await enrolled();
    await t.mail.waitFor(u.email, { subject: /two-step verification is on/i, since });
    const browser = t.client();
    expect((await browser.post("/api/auth/sign-in/email", { email: u.email, password: u.password })).json.twoFactorRedirect).toBe(true);
    expect((await browser.post("/api/auth/two-factor/verify-backup-code", { code: u.backupCodes[2] })).status).toBe(200);
    await t.mail.waitFor(u.email, { subject: /recovery code was used/i, since });
    const off = await browser.post("/api/auth/two-factor/disable", { password: u.password, code: u.backupCodes[3] });
    expect(off.status, off.text).toBe(200);
    await t.mail.waitFor(u.email, { subject: /turned off/i, since });
    const events = (await browser.get("/api/v1/me/security-events")).json.events.map((e: { type: string }) => e.type);
    expect(events).toEqual(expect.arrayContaining(["two_factor_enabled", "recovery_code_used", "two_factor_disabled"]));
  });

  describe("turning the factor off and new recovery codes need the password and a code", () => {
    const twoFactorOn = async (userId: string) =>
      Boolean((await t.services.db.kysely.selectFrom("user").select("twoFactorEnabled").where("id", "=", userId).executeTakeFirstOrThrow()).twoFactorEnabled);

    it("no code: 400 CODE_REQUIRED; a wrong, used or malformed code: 401 INVALID_CODE; nothing changes", async () => {
      const u = await enrolled();
      for (const path of ["/api/auth/two-factor/disable", "/api/auth/two-factor/generate-backup-codes"]) {
        for (const body of [{ password: u.password }, { password: u.password, code: "" }, { password: u.password, code: "   " }]) {
          const res = await u.client.post(path, body);
          expect(res.status, `${path} ${JSON.stringify(body)}: ${res.text}`).toBe(400);
          expect(res.json.code).toBe("CODE_REQUIRED");
        }
        const wrongTotp = totpCode(u.totpURI, Date.now(), 10);
        // The enrolment's own code was used once already (the code itself: the window may have turned since).
        for (const code of [wrongTotp, u.enrolCode, "aaaaa-bbbbb", "x".repeat(5000), 123456, null, ["a"]]) {
          const res = await u.client.post(path, { password: u.password, code });
          expect(res.status, `${path} ${JSON.stringify(code).slice(0, 20)}: ${res.text}`).toBe(typeof code === "string" && code.trim() ? 401 : 400);
          expect(res.json.code).toBe(typeof code === "string" && code.trim() ? "INVALID_CODE" : "CODE_REQUIRED");
        }
      }
      expect(await twoFactorOn(u.userId)).toBe(true);
    });

    it("a right code with a wrong password changes nothing, and the TOTP code stays usable", async () => {
      const u = await enrolled();
      const code = totpCode(u.totpURI, Date.now(), 1);
      const wrongPassword = await u.client.post("/api/auth/two-factor/disable", { password: "not the password", code });
      expect(wrongPassword.status).toBe(400);
      expect(wrongPassword.json.code).toBe("INVALID_PASSWORD");
      expect(await twoFactorOn(u.userId)).toBe(true);
      const codes = await u.client.post("/api/auth/two-factor/generate-backup-codes", { password: u.password, code });
      expect(codes.status, codes.text).toBe(200);
      expect(codes.json.backupCodes).toHaveLength(10);
      // That TOTP code is spent now.
      const again = await u.client.post("/api/auth/two-factor/disable", { password: u.password, code });
      expect(again.json.code).toBe("INVALID_CODE");
      expect(await twoFactorOn(u.userId)).toBe(true);
    });

    it("the password and a recovery code turn it off; the password and a TOTP code make new recovery codes", async () => {
      const u = await enrolled();
      const fresh = await u.client.post("/api/auth/two-factor/generate-backup-codes", { password: u.password, code: totpCode(u.totpURI, Date.now(), 1) });
      expect(fresh.status, fresh.text).toBe(200);
      // The old codes are gone: one of them cannot turn it off.
      expect((await u.client.post("/api/auth/two-factor/disable", { password: u.password, code: u.backupCodes[0] })).json.code).toBe("INVALID_CODE");
      const off = await u.client.post("/api/auth/two-factor/disable", { password: u.password, code: fresh.json.backupCodes[0] });
      expect(off.status, off.text).toBe(200);
      expect(await twoFactorOn(u.userId)).toBe(false);
      expect((await u.client.get("/api/v1/me")).status).toBe(200);
    });

    it("6.3.1 wrong codes count against the account like wrong passwords: sign-in is throttled, and so are these routes", async () => {
      const u = await enrolled();
      let locked = null as null | { status: number; json: any; headers: Headers };
      for (let i = 0; i < 12 && !locked; i++) {
        const res = await u.client.post("/api/auth/two-factor/disable", { password: u.password, code: `zzzzz-${String(i).padStart(5, "0")}` });
        if (res.status === 429) locked = res;
        else expect(res.json.code).toBe("INVALID_CODE");
      }
      expect(locked?.json.code).toBe("TOO_MANY_ATTEMPTS");
      expect(Number(locked?.headers.get("retry-after"))).toBeGreaterThan(0);
      // Even a right code waits now, and so does a password sign-in.
      expect((await u.client.post("/api/auth/two-factor/generate-backup-codes", { password: u.password, code: u.backupCodes[0] })).status).toBe(429);
      expect((await t.client().post("/api/auth/sign-in/email", { email: u.email, password: u.password })).status).toBe(429);
      expect(await twoFactorOn(u.userId)).toBe(true);
    });

    it("without a session: Better Auth's 401 before any code is asked for", async () => {
      const res = await t.client().post("/api/auth/two-factor/disable", { password: "whatever", code: "123456" });
      expect(res.status).toBe(401);
    });
  });
});
