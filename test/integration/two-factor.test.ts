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
    const confirm = await u.client.post("/api/auth/two-factor/verify-totp", { code: totpCode(totpURI) });
    expect(confirm.status, confirm.text).toBe(200);
    expect(Boolean((await row()).twoFactorEnabled)).toBe(true);
    return { ...u, totpURI, backupCodes };
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

    // The enrolment used this window's code: a code is good once (the next window's is accepted too).
    const reused = await browser.post("/api/auth/two-factor/verify-totp", { code: totpCode(u.totpURI) });
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
      ["sign_in_failed", { method: "password", factor: "second" }],
      ["sign_in", { method: "password", factor: "totp" }],
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
    const off = await browser.post("/api/auth/two-factor/disable", { password: u.password });
    expect(off.status, off.text).toBe(200);
    await t.mail.waitFor(u.email, { subject: /turned off/i, since });
    const events = (await browser.get("/api/v1/me/security-events")).json.events.map((e: { type: string }) => e.type);
    expect(events).toEqual(expect.arrayContaining(["two_factor_enabled", "recovery_code_used", "two_factor_disabled"]));
  });
});
