/**
 * The per-IP limit on every /api/v1 request (RULES.api, 1200 a minute), which is counted in
 * memory and added to the store in batches (rate-limit/batched-limiter.ts): end to end it still
 * allows exactly 1200 and refuses the 1201st with Retry-After, per client IP, and what it counted
 * reaches the shared store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RULES } from "../../src/server/rate-limit/rules.ts";
import { createTestInstance, DB_KINDS, type TestInstance } from "../support/instance.ts";

describe.each(DB_KINDS)("/api/v1 per-IP limit on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("allows 1200 requests a minute per IP, refuses the 1201st with Retry-After; other IPs are unaffected", async () => {
    const c = t.client();
    const statuses = new Map<number, number>();
    for (let i = 0; i < RULES.api.max; i++) {
      const res = await c.get("/api/v1/openapi.json");
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: RULES.api.max });

    const refused = await c.get("/api/v1/openapi.json");
    expect(refused.status).toBe(429);
    expect(refused.json?.code).toBe("RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);

    // Near the limit every request is counted on the shared store.
    const stored = await t.services.counters.get(`${RULES.api.name}:${c.ip}`);
    expect(stored?.count).toBe(RULES.api.max + 1);

    expect((await t.client().get("/api/v1/openapi.json")).status).toBe(200);
  });
});
