/**
 * Trusted devices (issue 10), on both databases. Better Auth's "trust this device" is a signed
 * cookie and a `trust-device-…` verification row, renewed at each sign-in from the device;
 * nothing showed a reader which devices skip the code, nor let them take one back. Now each is
 * recorded (device, address, when, from which session), listed under /api/v1/me/trusted-devices,
 * forgotten one by one, and all at once on a password reset, a password change that signs out
 * other devices, turning the factor off and a ban. TOTP codes are computed in the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, DB_KINDS, STRONG_PASSWORD, type TestClient, type TestInstance } from "../support/instance.ts";
import { accountWithRole, enrolSecondFactor } from "../support/staff.ts";
import { totpCode } from "../support/totp.ts";
import { RESET } from "./accounts/support.ts";

const UA = { laptop: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", phone: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/605.1" };

describe.each(DB_KINDS)("trusted devices on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RATE_LIMIT: "off" });
  });
  afterAll(() => t.close());

  /** TOTP codes not used yet for this reader: each window's code is good once (ASVS 6.5.1). */
  function codes(totpURI: string) {
    let offset = 0;
    return () => totpCode(totpURI, Date.now(), ++offset > 1 ? -1 : 1);
  }

  async function enrolled() {
    const u = await t.signedInUser({ name: "Trusting Reader" });
    const factor = await enrolSecondFactor(u.client, u.password);
    return { ...u, ...factor, nextCode: codes(factor.totpURI) };
  }

  const trustRows = async (userId: string) =>
    (await t.services.db.kysely.selectFrom("verification").select("identifier").where("value", "=", userId).where("identifier", "like", "trust-device-%").execute()).map((r) => r.identifier);

  /** A password sign-in from `device`: "code" when it asks for one, else signed in. */
  async function signIn(device: TestClient, u: { email: string; password: string }, userAgent: string) {
    const res = await device.post("/api/auth/sign-in/email", { email: u.email, password: u.password }, { headers: { "user-agent": userAgent } });
    expect(res.status, res.text).toBe(200);
    return res.json.twoFactorRedirect ? ("code" as const) : ("signed-in" as const);
  }

  /** Sign in on a new device and trust it (the code step's checkbox). */
  async function trustedDevice(u: Awaited<ReturnType<typeof enrolled>>, userAgent: string, withRecoveryCode?: string) {
    const device = t.client();
    expect(await signIn(device, u, userAgent)).toBe("code");
    const res = withRecoveryCode
      ? await device.post("/api/auth/two-factor/verify-backup-code", { code: withRecoveryCode, trustDevice: true }, { headers: { "user-agent": userAgent } })
      : await device.post("/api/auth/two-factor/verify-totp", { code: u.nextCode(), trustDevice: true }, { headers: { "user-agent": userAgent } });
    expect(res.status, res.text).toBe(200);
    return device;
  }

  const listOf = async (c: TestClient) => {
    const res = await c.get("/api/v1/me/trusted-devices");
    expect(res.status, res.text).toBe(200);
    return res.json.devices as Array<{ id: string; userAgent: string; ip: string; sessionId: string; trustedAt: string; lastUsedAt: string; expiresAt: string; current: boolean }>;
  };

  it("a device trusted at the code step is listed with what it was, from where, when and in which session", async () => {
    const u = await enrolled();
    const before = Date.now();
    const laptop = await trustedDevice(u, UA.laptop);
    const phone = await trustedDevice(u, UA.phone, u.backupCodes[0]);

    const seen = await listOf(laptop);
    expect(seen.map((d) => d.userAgent)).toEqual([UA.phone, UA.laptop]);
    const [onPhone, onLaptop] = seen as [(typeof seen)[0], (typeof seen)[0]];
    expect(onLaptop).toMatchObject({ ip: laptop.ip, current: true });
    expect(onPhone).toMatchObject({ ip: phone.ip, current: false });
    expect(Date.parse(onLaptop.trustedAt)).toBeGreaterThanOrEqual(before - 1000);
    const days = (Date.parse(onLaptop.expiresAt) - Date.parse(onLaptop.trustedAt)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    // The session the code opened on the laptop.
    const session = await t.services.db.kysely.selectFrom("session").select("id").where("id", "=", onLaptop.sessionId).executeTakeFirst();
    expect(session?.id).toBe(onLaptop.sessionId);
    expect((await listOf(phone)).find((d) => d.current)?.id).toBe(onPhone.id);
    // Elsewhere (the enrolment's browser), neither is this device.
    expect((await listOf(u.client)).every((d) => !d.current)).toBe(true);
    // Never Better Auth's identifier.
    expect(JSON.stringify(seen)).not.toContain("trust-device-");

    const events = (await u.client.get("/api/v1/me/security-events")).json.events.map((e: { type: string }) => e.type);
    expect(events.filter((e: string) => e === "trusted_device_added")).toHaveLength(2);
  });

  it("a sign-in from a trusted device skips the code and the device stays one entry, followed to its renewed cookie", async () => {
    const u = await enrolled();
    const laptop = await trustedDevice(u, UA.laptop);
    const [first] = await listOf(laptop);
    const rowsBefore = await trustRows(u.userId);
    await laptop.post("/api/auth/sign-out", {});
    expect(await signIn(laptop, u, UA.laptop)).toBe("signed-in");
    const after = await listOf(laptop);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: first!.id, trustedAt: first!.trustedAt, current: true });
    expect(Date.parse(after[0]!.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(first!.lastUsedAt));
    // Better Auth replaced its row: one row still, another identifier.
    const rowsAfter = await trustRows(u.userId);
    expect(rowsAfter).toHaveLength(1);
    expect(rowsAfter).not.toEqual(rowsBefore);
    // And again: still the same device.
    await laptop.post("/api/auth/sign-out", {});
    expect(await signIn(laptop, u, UA.laptop)).toBe("signed-in");
    expect((await listOf(laptop)).map((d) => d.id)).toEqual([first!.id]);
  });

  it("forgetting a device: its next sign-in asks for the code; the others stay trusted", async () => {
    const u = await enrolled();
    const laptop = await trustedDevice(u, UA.laptop);
    const phone = await trustedDevice(u, UA.phone);
    const phoneEntry = (await listOf(phone)).find((d) => d.current)!;

    const res = await laptop.request("DELETE", `/api/v1/me/trusted-devices/${phoneEntry.id}`);
    expect(res.status, res.text).toBe(204);
    expect((await listOf(laptop)).map((d) => d.userAgent)).toEqual([UA.laptop]);
    expect(await trustRows(u.userId)).toHaveLength(1);

    await phone.post("/api/auth/sign-out", {});
    expect(await signIn(phone, u, UA.phone)).toBe("code");
    await laptop.post("/api/auth/sign-out", {});
    expect(await signIn(laptop, u, UA.laptop)).toBe("signed-in");

    const again = await laptop.request("DELETE", `/api/v1/me/trusted-devices/${phoneEntry.id}`);
    expect(again.status).toBe(404);
    const events = (await laptop.get("/api/v1/me/security-events")).json.events as Array<{ type: string; detail: { device?: string } }>;
    expect(events.find((e) => e.type === "trusted_device_removed")?.detail).toMatchObject({ device: phoneEntry.id, userAgent: UA.phone });
  });

  it("bad input: another reader's device, unknown and malformed ids are 404, no session is 401, never a 500", async () => {
    const u = await enrolled();
    const other = await enrolled();
    await trustedDevice(other, UA.phone);
    const [theirs] = await listOf(other.client);
    for (const id of [theirs!.id, "00000000-0000-4000-8000-000000000000", "x", "%00", "a".repeat(5000), "..%2F..%2Fetc", "'%20or%201=1--"]) {
      const res = await u.client.request("DELETE", `/api/v1/me/trusted-devices/${id}`);
      expect(res.status, `${id.slice(0, 20)}: ${res.text}`).toBe(404);
      expect(res.json.code).toBe("TRUSTED_DEVICE_NOT_FOUND");
    }
    expect(await listOf(other.client)).toHaveLength(1);
    expect((await t.client().get("/api/v1/me/trusted-devices")).status).toBe(401);
    expect((await t.client().request("DELETE", `/api/v1/me/trusted-devices/${theirs!.id}`)).status).toBe(401);
    // A bearer token lists them too (no cookie: none is "this device").
    const grant = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: other.email, password: other.password, otp: other.nextCode() });
    const viaToken = await t.client().get("/api/v1/me/trusted-devices", { headers: { authorization: `Bearer ${grant.json.access_token}` } });
    expect(viaToken.status).toBe(200);
    expect(viaToken.json.devices).toHaveLength(1);
    expect(viaToken.json.devices[0].current).toBe(false);
  });

  describe("every device is forgotten", () => {
    async function expectAllForgotten(u: Awaited<ReturnType<typeof enrolled>>, device: TestClient, password = u.password) {
      expect(await trustRows(u.userId)).toEqual([]);
      expect(await t.services.db.kysely.selectFrom("trusted_device").select("id").where("user_id", "=", u.userId).execute()).toEqual([]);
      const fresh = t.client();
      fresh.cookies.set(...([...device.cookies].find(([name]) => name.endsWith("trust_device"))! as [string, string]));
      return signIn(fresh, { email: u.email, password }, UA.laptop);
    }

    it("when the password is changed with 'sign out other devices' (not without it)", async () => {
      const u = await enrolled();
      const laptop = await trustedDevice(u, UA.laptop);
      const keep = await u.client.post("/api/auth/change-password", { currentPassword: u.password, newPassword: `${STRONG_PASSWORD} one` });
      expect(keep.status, keep.text).toBe(200);
      expect(await trustRows(u.userId)).toHaveLength(1);
      const out = await u.client.post("/api/auth/change-password", { currentPassword: `${STRONG_PASSWORD} one`, newPassword: `${STRONG_PASSWORD} two`, revokeOtherSessions: true });
      expect(out.status, out.text).toBe(200);
      expect(await expectAllForgotten(u, laptop, `${STRONG_PASSWORD} two`)).toBe("code");
    });

    it("when the password is reset", async () => {
      const u = await enrolled();
      const laptop = await trustedDevice(u, UA.laptop);
      const since = Date.now();
      expect((await t.client().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" })).status).toBe(200);
      const landing = await t.client().get(t.mail.linkFrom(await t.mail.waitFor(u.email, { subject: RESET, since }), "/api/auth/reset-password/"));
      const token = new URL(landing.headers.get("location")!).searchParams.get("token")!;
      const newPassword = `${STRONG_PASSWORD} reset`;
      expect((await t.client().post("/api/auth/reset-password", { newPassword, token })).status).toBe(200);
      expect(await expectAllForgotten(u, laptop, newPassword)).toBe("code");
    });

    it("when the factor is turned off (turned on again, the old devices are asked for the code)", async () => {
      const u = await enrolled();
      const laptop = await trustedDevice(u, UA.laptop);
      await trustedDevice(u, UA.phone);
      const off = await u.client.post("/api/auth/two-factor/disable", { password: u.password, code: u.backupCodes[5] });
      expect(off.status, off.text).toBe(200);
      const again = await enrolSecondFactor(u.client, u.password);
      expect(await expectAllForgotten({ ...u, ...again }, laptop)).toBe("code");
    });

    it("when staff turn the factor off, and when the account is banned", async () => {
      const admin = await accountWithRole(t, "admin");
      const u = await enrolled();
      await trustedDevice(u, UA.laptop);
      const reset = await admin.client.request("DELETE", `/api/v1/staff/users/${u.userId}/second-factor`, { reason: "Lost their phone" });
      expect(reset.status, reset.text).toBe(200);
      expect(await trustRows(u.userId)).toEqual([]);

      const v = await enrolled();
      await trustedDevice(v, UA.laptop);
      const ban = await admin.client.post("/api/auth/admin/ban-user", { userId: v.userId, banReason: "spam" });
      expect(ban.status, ban.text).toBe(200);
      expect(await trustRows(v.userId)).toEqual([]);
      const events = await t.services.db.kysely.selectFrom("security_event").select(["type", "detail"]).where("user_id", "=", v.userId).execute();
      expect(events.filter((e) => e.type === "trusted_device_removed").map((e) => JSON.parse(e.detail!))).toEqual([{ all: true, reason: "banned", count: 1 }]);
    });
  });

  // Last: it moves the clock of the housekeeping for every row of this instance.
  it("a trust that ran out is gone from the list, and the housekeeping deletes its record", async () => {
    const u = await enrolled();
    const laptop = await trustedDevice(u, UA.laptop);
    expect(await listOf(laptop)).toHaveLength(1);
    await t.services.runMaintenance(Date.now() + 60 * 86_400_000);
    expect(await t.services.db.kysely.selectFrom("trusted_device").select("id").where("user_id", "=", u.userId).execute()).toEqual([]);
    expect(await trustRows(u.userId)).toEqual([]);
  });
});
