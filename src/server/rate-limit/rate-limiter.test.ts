import { describe, expect, it } from "vitest";
import { createMemoryCounterStore } from "./counter-store.ts";
import { createRateLimiter, type RateRule } from "./rate-limiter.ts";

function setup() {
  let t = 1_700_000_000_000;
  const now = () => t;
  const limiter = createRateLimiter(createMemoryCounterStore(now), now);
  return { limiter, advance: (ms: number) => void (t += ms) };
}

const rule: RateRule = { name: "sign-in", max: 3, windowMs: 60_000 };

describe("createRateLimiter", () => {
  it("allows up to max per window, then denies with Retry-After", async () => {
    const { limiter, advance } = setup();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await limiter.consume(rule, "1.2.3.4"));
    expect(decisions.map((d) => [d.allowed, d.remaining, d.limit])).toEqual([
      [true, 2, 3],
      [true, 1, 3],
      [true, 0, 3],
    ]);
    expect(decisions[0]!.retryAfterSeconds).toBe(60);

    advance(20_500);
    const denied = await limiter.consume(rule, "1.2.3.4");
    expect(denied).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 40, limit: 3 });
  });

  it("reports at least 1 s when denied just before the reset", async () => {
    const { limiter, advance } = setup();
    for (let i = 0; i < 3; i++) await limiter.consume(rule, "k");
    advance(59_999);
    const denied = await limiter.consume(rule, "k");
    expect(denied.allowed).toBe(false);
    expect(denied.retryAfterSeconds).toBe(1);
  });

  it("resets after the window", async () => {
    const { limiter, advance } = setup();
    for (let i = 0; i < 4; i++) await limiter.consume(rule, "k");
    advance(60_000);
    const d = await limiter.consume(rule, "k");
    expect(d).toMatchObject({ allowed: true, remaining: 2 });
  });

  it("keeps separate buckets per key and per rule", async () => {
    const { limiter } = setup();
    for (let i = 0; i < 3; i++) await limiter.consume(rule, "a");
    expect((await limiter.consume(rule, "a")).allowed).toBe(false);
    expect((await limiter.consume(rule, "b")).allowed).toBe(true);
    expect((await limiter.consume({ ...rule, name: "sign-up" }, "a")).allowed).toBe(true);
  });

  it("max 0 denies everything", async () => {
    const { limiter } = setup();
    expect(await limiter.consume({ name: "off", max: 0, windowMs: 1000 }, "k")).toMatchObject({ allowed: false, remaining: 0, limit: 0 });
  });
});
