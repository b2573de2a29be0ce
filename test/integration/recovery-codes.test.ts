/**
 * Recovery codes stored as keyed hashes (ASVS 6.5.2), on both databases: the column holds
 * neither the codes nor anything the auth secret decrypts, every path that checks a code still
 * works, a used code stays used on every path, new codes are shown once, and accounts enrolled
 * while Better Auth stored them encrypted keep working and are rewritten.
 * docs/decisions/015-recovery-codes-hashed.md
 */
import { symmetricDecrypt, symmetricEncrypt } from "better-auth/crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecoveryCodes } from "../../src/server/auth/recovery-codes.ts";
import { createTestInstance, DB_KINDS, type TestInstance } from "../support/instance.ts";
import { enrolSecondFactor } from "../support/staff.ts";
import { totpCode } from "../support/totp.ts";

describe.each(DB_KINDS)("recovery codes on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RATE_LIMIT: "off" });
  });
  afterAll(() => t.close());

  const stored = async (userId: string) =>
    (await t.services.db.kysely.selectFrom("twoFactor").select("backupCodes").where("userId", "=", userId).executeTakeFirstOrThrow()).backupCodes;

  async function enrolled() {
    const u = await t.signedInUser({ name: "Recovery Reader" });
    return { ...u, ...(await enrolSecondFactor(u.client, u.password)) };
  }

  /** A browser at the code step of a password sign-in. */
  async function atCodeStep(u: { email: string; password: string }) {
    const browser = t.client();
    const signIn = await browser.post("/api/auth/sign-in/email", { email: u.email, password: u.password });
    expect(signIn.json?.twoFactorRedirect).toBe(true);
    return browser;
  }

  const tokenGrant = (u: { email: string; password: string }, otp: string) =>
    t.client().post("/api/v1/auth/token", { grant_type: "password", email: u.email, password: u.password, otp });

  it("6.5.2 the column holds keyed hashes: none of the plain codes, nothing the auth secret decrypts", async () => {
    const u = await enrolled();
    const value = await stored(u.userId);
    for (const code of u.backupCodes) {
      expect(value).not.toContain(code);
      expect(value).not.toContain(code.replace("-", ""));
    }
    const list = JSON.parse(value) as string[];
    expect(list).toHaveLength(10);
    for (const item of list) expect(item).toMatch(/^h1:[A-Za-z0-9_-]{43}$/);
    // Not Better Auth's encryption either: the secret opens nothing.
    await expect(symmetricDecrypt({ key: t.services.config.secret, data: value })).rejects.toThrow();
  });

  it("a code works once, whichever path uses it: the sign-in code step and the token API's otp", async () => {
    const u = await enrolled();
    const [first, second] = u.backupCodes as [string, string];

    const browser = await atCodeStep(u);
    const used = await browser.post("/api/auth/two-factor/verify-backup-code", { code: first });
    expect(used.status, used.text).toBe(200);
    expect((await browser.get("/api/v1/me")).json.id).toBe(u.userId);
    // Used in the browser: refused in a browser and by the token API.
    expect((await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: first })).status).toBe(401);
    expect((await tokenGrant(u, first)).json.code).toBe("INVALID_CODE");

    expect((await tokenGrant(u, second)).status).toBe(200);
    // Used by the token API: refused there again and in a browser.
    expect((await tokenGrant(u, second)).json.code).toBe("INVALID_CODE");
    expect((await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: second })).status).toBe(401);

    // Eight left, still hashes; a code with spaces around it is the same code.
    const left = JSON.parse(await stored(u.userId)) as string[];
    expect(left).toHaveLength(8);
    expect((await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: ` ${u.backupCodes[2]} ` })).status).toBe(200);
  });

  it("a wrong code, someone else's code, a hash as the code and a non-string are refused without a 500", async () => {
    const u = await enrolled();
    const other = await enrolled();
    const value = JSON.parse(await stored(u.userId)) as string[];
    for (const code of ["aaaaa-bbbbb", other.backupCodes[0]!, value[0]!, "h1:", ""]) {
      const res = await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code });
      expect(res.status, `${code}: ${res.text}`).toBe(401);
    }
    const notString = await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: 12345 });
    expect(notString.status).toBe(400);
    // None of it used a code.
    expect(JSON.parse(await stored(u.userId))).toHaveLength(10);
  });

  it("new codes are shown once as ten plain codes and stored as hashes; the old ones stop working", async () => {
    const u = await enrolled();
    const res = await u.client.post("/api/auth/two-factor/generate-backup-codes", { password: u.password, code: totpCode(u.totpURI, Date.now(), 1) });
    expect(res.status, res.text).toBe(200);
    const fresh = res.json.backupCodes as string[];
    expect(fresh).toHaveLength(10);
    for (const code of fresh) expect(code).toMatch(/^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/);
    const value = await stored(u.userId);
    for (const code of fresh) expect(value).not.toContain(code);
    expect((await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: u.backupCodes[0] })).status).toBe(401);
    expect((await (await atCodeStep(u)).post("/api/auth/two-factor/verify-backup-code", { code: fresh[0] })).status).toBe(200);
  });

  it("codes stored encrypted (before this change) keep working, and start-up rewrites them as hashes", async () => {
    const secret = t.services.config.secret;
    const legacy = async (u: { userId: string; backupCodes: string[] }) => {
      const encrypted = await symmetricEncrypt({ key: secret, data: JSON.stringify(u.backupCodes) });
      await t.services.db.kysely.updateTable("twoFactor").set({ backupCodes: encrypted }).where("userId", "=", u.userId).execute();
    };
    // Used while still encrypted: works once, and what is written back is hashes.
    const a = await enrolled();
    await legacy(a);
    expect((await (await atCodeStep(a)).post("/api/auth/two-factor/verify-backup-code", { code: a.backupCodes[3] })).status).toBe(200);
    expect((await tokenGrant(a, a.backupCodes[3]!)).json.code).toBe("INVALID_CODE");
    expect((await tokenGrant(a, a.backupCodes[4]!)).status).toBe(200);
    const afterUse = await stored(a.userId);
    expect(JSON.parse(afterUse)).toHaveLength(8);
    for (const code of a.backupCodes) expect(afterUse).not.toContain(code);

    // Never used: the start-up pass rewrites it (the one a server runs at start, run here again).
    const b = await enrolled();
    await legacy(b);
    const rewritten = await createRecoveryCodes(secret).rehashEncrypted(t.services.db, pino({ level: "silent" }));
    expect(rewritten).toBeGreaterThanOrEqual(1);
    const value = await stored(b.userId);
    expect(JSON.parse(value)).toHaveLength(10);
    for (const code of b.backupCodes) expect(value).not.toContain(code);
    expect((await (await atCodeStep(b)).post("/api/auth/two-factor/verify-backup-code", { code: b.backupCodes[9] })).status).toBe(200);
  });
});
