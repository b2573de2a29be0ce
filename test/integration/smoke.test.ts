import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, DB_KINDS, type TestInstance } from "../support/instance.ts";

describe.each(DB_KINDS)("smoke on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("signs up, verifies by the emailed link and reads /api/v1/me with the cookie", async () => {
    const { client, email } = await t.signedInUser({ name: "Grace Hopper" });
    const me = await client.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email, name: "Grace Hopper", role: "user", emailVerified: true, authenticatedVia: "session" });
  });
});
