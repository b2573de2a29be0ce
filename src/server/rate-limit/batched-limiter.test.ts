import { describe, expect, it } from "vitest";
import { createBatchedRateLimiter } from "./batched-limiter.ts";
import { createMemoryCounterStore, type CounterStore } from "./counter-store.ts";
import { createRateLimiter, type RateRule } from "./rate-limiter.ts";

const rule: RateRule = { name: "ip:api", max: 1200, windowMs: 60_000 };

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** A store that counts the calls reaching it. */
function counted(store: CounterStore) {
  const calls = { increment: 0 };
  const wrapped: CounterStore = {
    ...store,
    increment: (k, w, by) => {
      calls.increment++;
      return store.increment(k, w, by);
    },
  };
  return { store: wrapped, calls };
}

/** Let fire-and-forget flushes settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("createBatchedRateLimiter", () => {
  it("decides exactly as the plain limiter, request by request, through the limit and the next window", async () => {
    const c = clock();
    const plain = createRateLimiter(createMemoryCounterStore(c.now), c.now);
    const batched = createBatchedRateLimiter(createMemoryCounterStore(c.now), { now: c.now });
    for (let i = 0; i < 1300; i++) {
      const [a, b] = [await plain.consume(rule, "1.2.3.4"), await batched.consume(rule, "1.2.3.4")];
      expect({ i, allowed: b.allowed, remaining: b.remaining }).toEqual({ i, allowed: a.allowed, remaining: a.remaining });
      expect(b.retryAfterSeconds).toBe(a.retryAfterSeconds);
      if (i % 100 === 0) await settle();
      c.advance(10);
    }
    c.advance(60_000);
    expect((await batched.consume(rule, "1.2.3.4")).allowed).toBe(true);
    expect((await batched.consume(rule, "1.2.3.4")).remaining).toBe(1198);
  });

  it("stays exact with a slow store: near the limit it waits for the batches still on their way", async () => {
    const c = clock();
    const inner = createMemoryCounterStore(c.now);
    const slow: CounterStore = {
      ...inner,
      increment: async (k, w, by) => {
        await new Promise((resolve) => setTimeout(resolve, (by ?? 1) > 1 ? 20 : 1));
        return inner.increment(k, w, by);
      },
    };
    const batched = createBatchedRateLimiter(slow, { now: c.now });
    const decisions = await Promise.all(Array.from({ length: 1300 }, () => batched.consume(rule, "k")));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(rule.max);
    expect((await inner.get("ip:api:k"))!.count).toBe(1300);
  });

  it("writes to the store about once per batch far from the limit, on every request near it", async () => {
    const c = clock();
    const { store, calls } = counted(createMemoryCounterStore(c.now));
    const batched = createBatchedRateLimiter(store, { now: c.now });
    for (let i = 0; i < 600; i++) await batched.consume(rule, "5.6.7.8");
    await settle();
    // One per 60 (5 % of 1200).
    expect(calls.increment).toBe(600 / 60);
    expect((await store.get("ip:api:5.6.7.8"))!.count).toBeGreaterThanOrEqual(600 - 60);

    calls.increment = 0;
    for (let i = 600; i < 1250; i++) await batched.consume(rule, "5.6.7.8");
    // From 1141 on (within a batch of the limit) every request is counted on the store.
    expect(calls.increment).toBeGreaterThanOrEqual(1250 - 1141);
    expect((await store.get("ip:api:5.6.7.8"))!.count).toBe(1250);
  });

  it("several processes sharing a store admit at most processes x batch over the limit", async () => {
    const c = clock();
    const shared = createMemoryCounterStore(c.now);
    const processes = [0, 1, 2].map(() => createBatchedRateLimiter(shared, { now: c.now }));
    let admitted = 0;
    for (let i = 0; i < 3000; i++) {
      if ((await processes[i % 3]!.consume(rule, "9.9.9.9")).allowed) admitted++;
      if (i % 7 === 0) await settle();
    }
    expect(admitted).toBeGreaterThanOrEqual(rule.max);
    expect(admitted).toBeLessThanOrEqual(rule.max + 3 * 60);
  });

  it("a client below one batch a window never costs a store write", async () => {
    const c = clock();
    const { store, calls } = counted(createMemoryCounterStore(c.now));
    const batched = createBatchedRateLimiter(store, { now: c.now });
    for (let minute = 0; minute < 5; minute++) {
      for (let i = 0; i < 59; i++) expect((await batched.consume(rule, "reader")).allowed).toBe(true);
      c.advance(60_000);
    }
    expect(calls.increment).toBe(0);
  });

  it("the store's window ends with the local one (started by the first request, not the first write)", async () => {
    const c = clock();
    const store = createMemoryCounterStore(c.now);
    const batched = createBatchedRateLimiter(store, { now: c.now });
    await batched.consume(rule, "k");
    c.advance(30_000);
    for (let i = 0; i < 59; i++) await batched.consume(rule, "k");
    await settle();
    expect(await store.get("ip:api:k")).toEqual({ count: 60, resetAt: 1_700_000_000_000 + 60_000 });
  });

  it("keys and windows are independent; small rules are not batched", async () => {
    const c = clock();
    const { store, calls } = counted(createMemoryCounterStore(c.now));
    const batched = createBatchedRateLimiter(store, { now: c.now });
    const tight: RateRule = { name: "ip:sign-in", max: 30, windowMs: 300_000 };
    for (let i = 0; i < 31; i++) await batched.consume(tight, "k");
    expect(calls.increment).toBe(31);
    expect((await batched.consume(tight, "k")).allowed).toBe(false);
    expect((await batched.consume(rule, "k")).remaining).toBe(1199);
  });

  it("a batch the store refused is sent with the next one, not lost", async () => {
    const c = clock();
    const inner = createMemoryCounterStore(c.now);
    let failing = false;
    const store: CounterStore = {
      ...inner,
      increment: (k, w, by) => (failing && (by ?? 1) > 1 ? Promise.reject(new Error("down")) : inner.increment(k, w, by)),
    };
    const batched = createBatchedRateLimiter(store, { now: c.now });
    failing = true;
    for (let i = 0; i < 60; i++) await batched.consume(rule, "k");
    await settle();
    expect(await inner.get("ip:api:k")).toBeNull();
    failing = false;
    // The next request finds the 60 refused ones still pending and sends all 61.
    await batched.consume(rule, "k");
    await settle();
    expect((await inner.get("ip:api:k"))!.count).toBe(61);
  });
});
