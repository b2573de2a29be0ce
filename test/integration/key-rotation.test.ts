import pino from "pino";
import { randomUUID } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/server/app.ts";
import { createServices, type Services } from "../../src/server/services.ts";
import { BASE_URL, createTestInstance, DB_KINDS, type TestInstance } from "../support/instance.ts";

/**
 * Two server processes on one database (two Services, each with its own caches and verifier).
 * A signing key that one of them creates must be trusted by the other at once, or within a
 * second when the other has just reloaded its keys for an unknown kid (it used to take 30 s).
 */
describe.each(DB_KINDS)("key rotation across processes on %s", (kind) => {
  let t: TestInstance;
  let other: Services;
  let otherApp: ReturnType<typeof createApp>;
  beforeAll(async () => {
    t = await createTestInstance(kind);
    other = await createServices(t.services.config, { logger: pino({ level: "silent" }), skipMigrations: true });
    otherApp = createApp(other);
  });
  afterAll(async () => {
    await other?.close();
    await t?.close();
  });

  const meOnOther = async (token: string) => {
    const res = await otherApp.request(`${BASE_URL}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }, {
      incoming: { socket: { remoteAddress: "203.0.113.200", remotePort: 40000, remoteFamily: "IPv4" } },
    });
    return res.status;
  };

  it("a key created by the other process is trusted here within a second, even right after an unknown-kid reload", async () => {
    const user = await t.signedInUser();
    const grant = async () => {
      const res = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: user.email, password: user.password });
      expect(res.status, res.text).toBe(200);
      return res.json.access_token as string;
    };
    const first = await grant();
    expect(await meOnOther(first)).toBe(200); // the other process loads the current key

    // The other process reloads its keys for an unknown kid (its cooldown starts)...
    expect(await meOnOther(first.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: "EdDSA", kid: randomUUID() })).toString("base64url")))).toBe(401);
    // ...then this process rotates: the current key reaches its rotation date, the next token is signed by a new key.
    const ctx = await t.services.auth.$context;
    const firstKid = decodeProtectedHeader(first).kid!;
    await ctx.adapter.update({ model: "jwks", where: [{ field: "id", value: firstKid }], update: { expiresAt: new Date(Date.now() - 1000) } });
    const second = await grant();
    expect(decodeProtectedHeader(second).kid).not.toBe(firstKid);

    const deadline = Date.now() + 1_500;
    let status = await meOnOther(second);
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await meOnOther(second);
    }
    expect(status).toBe(200);
  });
});
