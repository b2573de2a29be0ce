/**
 * Behavioural suite every CounterStore must pass. Register it from a test file:
 *
 *   counterStoreContract("sqlite", async () => ({ store, advance, cleanup }));
 *
 * `make` runs before each test and `cleanup` after it. With `advance` (a
 * controllable clock) window expiry is tested by moving time; without it, real
 * short windows are slept through (as for Redis). `now`, when given, is the
 * store's clock and enables exact `resetAt` assertions.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CounterStore } from "../../src/server/rate-limit/counter-store.ts";
import { sleep } from "./time.ts";

export interface CounterStoreFixture {
  store: CounterStore;
  /** Move the store's clock forward. */
  advance?: (ms: number) => void;
  /** The store's clock, if controllable. */
  now?: () => number;
  cleanup: () => Promise<void>;
}


export function counterStoreContract(
  name: string,
  make: () => Promise<CounterStoreFixture>,
  options: { controllableClock: boolean } = { controllableClock: true },
): void {
  describe(`CounterStore contract: ${name}`, () => {
    let fixture: CounterStoreFixture;
    let store: CounterStore;
    let keySeq = 0;
    /** A key unique to this test run, so stores shared between tests stay isolated. */
    const key = (label = "k") => `contract:${label}:${process.pid}:${Date.now()}:${++keySeq}`;

    // Real windows must be long enough to survive scheduling jitter, short enough to keep tests fast.
    const realWindow = 300;
    const window = () => (fixture.advance ? 60_000 : realWindow);
    const passTime = async (ms: number) => {
      if (fixture.advance) fixture.advance(ms);
      else await sleep(ms);
    };
    const clock = () => (fixture.now ? fixture.now() : Date.now());
    /** Tolerance on resetAt: exact with a controllable clock, loose with a real one. */
    const tolerance = () => (fixture.now ? 0 : 50);

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it("get returns null for an absent key", async () => {
      expect(await store.get(key())).toBeNull();
    });

    it("increment starts at 1 with resetAt = now + windowMs, then counts up in the same window", async () => {
      const k = key();
      const before = clock();
      const first = await store.increment(k, window());
      expect(first.count).toBe(1);
      expect(first.resetAt).toBeGreaterThanOrEqual(before + window() - tolerance());
      expect(first.resetAt).toBeLessThanOrEqual(clock() + window() + tolerance());

      const second = await store.increment(k, window());
      const third = await store.increment(k, window());
      expect(second.count).toBe(2);
      expect(third.count).toBe(3);
      expect(Math.abs(third.resetAt - first.resetAt)).toBeLessThanOrEqual(tolerance());

      const got = await store.get(k);
      expect(got?.count).toBe(3);
      expect(Math.abs(got!.resetAt - first.resetAt)).toBeLessThanOrEqual(tolerance());
    });

    it("increment by n starts at n and adds n (batches counted in-process); by < 1 is refused", async () => {
      const k = key();
      const first = await store.increment(k, window(), 5);
      expect(first.count).toBe(5);
      expect((await store.increment(k, window())).count).toBe(6);
      const third = await store.increment(k, window(), 60);
      expect(third.count).toBe(66);
      expect(Math.abs(third.resetAt - first.resetAt)).toBeLessThanOrEqual(tolerance());
      await expect(store.increment(k, window(), 0)).rejects.toThrow(RangeError);
      await expect(store.increment(k, window(), 1.5)).rejects.toThrow(RangeError);
      expect((await store.get(k))?.count).toBe(66);
    });

    it("a different windowMs does not extend a running window", async () => {
      const k = key();
      const first = await store.increment(k, window());
      const second = await store.increment(k, window() * 10);
      expect(second.count).toBe(2);
      expect(Math.abs(second.resetAt - first.resetAt)).toBeLessThanOrEqual(tolerance());
    });

    it("keys are independent", async () => {
      const a = key("a");
      const b = key("b");
      await store.increment(a, window());
      await store.increment(a, window());
      expect((await store.increment(b, window())).count).toBe(1);
      expect((await store.get(a))?.count).toBe(2);
    });

    it("restarts at 1 after the window expires, and get returns null once expired", async () => {
      const k = key();
      await store.increment(k, window());
      await store.increment(k, window());
      await passTime(window() / 2);
      expect((await store.get(k))?.count).toBe(2);
      await passTime(window() / 2 + (fixture.advance ? 0 : 50));
      expect(await store.get(k)).toBeNull();

      const before = clock();
      const restarted = await store.increment(k, window());
      expect(restarted.count).toBe(1);
      expect(restarted.resetAt).toBeGreaterThanOrEqual(before + window() - tolerance());
    });

    // Registered only for stores driven by a fake clock (a real-time store cannot be stepped by 1 ms).
    if (options.controllableClock) it("expiry is exact at resetAt (controllable clock)", async () => {
      const advance = fixture.advance!;
      const k = key();
      await store.increment(k, 1000);
      advance(999);
      expect((await store.increment(k, 1000)).count).toBe(2);
      advance(1);
      expect(await store.get(k)).toBeNull();
      expect((await store.increment(k, 1000)).count).toBe(1);
    });

    it("50 concurrent increments on one key yield exactly the counts 1..50", async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 50 }, () => store.increment(k, window() * 10)));
      const counts = results.map((r) => r.count).sort((x, y) => x - y);
      expect(counts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const resetAts = new Set(results.map((r) => r.resetAt));
      if (fixture.now) expect(resetAts.size).toBe(1);
      expect((await store.get(k))?.count).toBe(50);
    });

    it("set then get returns the count and expiry; increment continues from it", async () => {
      const k = key();
      const before = clock();
      await store.set(k, 7, window());
      const got = await store.get(k);
      expect(got?.count).toBe(7);
      expect(got!.resetAt).toBeGreaterThanOrEqual(before + window() - tolerance());
      expect(got!.resetAt).toBeLessThanOrEqual(clock() + window() + tolerance());

      const next = await store.increment(k, window() * 10);
      expect(next.count).toBe(8);
      expect(Math.abs(next.resetAt - got!.resetAt)).toBeLessThanOrEqual(tolerance());
    });

    it("set overwrites an existing counter and its expiry", async () => {
      const k = key();
      await store.increment(k, window());
      await store.increment(k, window());
      await store.set(k, 1, window() * 4);
      await passTime(window() + (fixture.advance ? 0 : 50));
      expect((await store.get(k))?.count).toBe(1);
    });

    it("set entries expire after ttlMs", async () => {
      const k = key();
      await store.set(k, 3, window());
      await passTime(window() + (fixture.advance ? 0 : 50));
      expect(await store.get(k)).toBeNull();
      expect((await store.increment(k, window())).count).toBe(1);
    });

    it("delete removes a counter; deleting an absent key is fine", async () => {
      const k = key();
      await store.increment(k, window());
      await store.increment(k, window());
      await store.delete(k);
      expect(await store.get(k)).toBeNull();
      expect((await store.increment(k, window())).count).toBe(1);
      await expect(store.delete(key("absent"))).resolves.toBeUndefined();
    });

    it("increments several keys at once, each in its own window, results in the order given", async () => {
      const [a, b, c] = [key("im-a"), key("im-b") + ":" + "w".repeat(250), key("im-c")];
      await store.increment(b, window());
      await store.increment(b, window());
      const first = await store.incrementMany([
        { key: a, windowMs: window() },
        { key: b, windowMs: window() },
        { key: c, windowMs: window() * 2 },
      ]);
      expect(first.map((s) => s.count)).toEqual([1, 3, 1]);
      expect(first[2]!.resetAt - first[0]!.resetAt).toBeGreaterThanOrEqual(window() - 1000);
      const second = await store.incrementMany([
        { key: c, windowMs: window() },
        { key: a, windowMs: window() },
      ]);
      expect(second.map((s) => s.count)).toEqual([2, 2]);
      // The same key twice counts twice.
      expect((await store.incrementMany([{ key: a, windowMs: window() }, { key: a, windowMs: window() }])).map((s) => s.count)).toEqual([3, 4]);
      expect(await store.incrementMany([])).toEqual([]);
    });

    it("reads several keys at once, in the order asked, expired and absent ones as null", async () => {
      const [a, b, gone, none] = [key("gm-a"), key("gm-b") + ":" + "z".repeat(250), key("gm-gone"), key("gm-none")];
      await store.increment(a, window());
      await store.set(b, 7, window());
      await store.set(gone, 2, 1);
      await passTime(fixture.advance ? 2 : 30);
      const [ra, rnone, rb, rgone] = await store.getMany(a, none, b, gone);
      expect(ra?.count).toBe(1);
      expect(rb?.count).toBe(7);
      expect(rnone).toBeNull();
      expect(rgone).toBeNull();
      expect(await store.getMany()).toEqual([]);
    });

    it("deletes several keys at once, long ones included, and only those", async () => {
      const [a, b, c] = [key("many-a"), key("many-b") + ":" + "y".repeat(250), key("many-c")];
      for (const k of [a, b, c]) await store.increment(k, window());
      await store.delete(a, b, key("many-absent"));
      expect(await store.get(a)).toBeNull();
      expect(await store.get(b)).toBeNull();
      expect((await store.get(c))?.count).toBe(1);
      await expect(store.delete()).resolves.toBeUndefined();
    });

    it("handles long keys and keys with special characters", async () => {
      const prefix = key("long") + ":" + "x".repeat(250);
      const a = `${prefix}:a`;
      const b = `${prefix}:b`;
      expect((await store.increment(a, window())).count).toBe(1);
      expect((await store.increment(a, window())).count).toBe(2);
      expect((await store.increment(b, window())).count).toBe(1);
      expect((await store.get(a))?.count).toBe(2);
      await store.set(b, 9, window());
      expect((await store.get(b))?.count).toBe(9);
      await store.delete(a);
      expect(await store.get(a)).toBeNull();

      const odd = key("odd") + ":'; drop table rate_limit_counter; --:\u00e9\u{1F600}:%_*";
      expect((await store.increment(odd, window())).count).toBe(1);
      expect((await store.get(odd))?.count).toBe(1);
    });

    it("rejects non-positive windows", async () => {
      await expect(store.increment(key(), 0)).rejects.toThrow(RangeError);
      await expect(store.set(key(), 1, -5)).rejects.toThrow(RangeError);
    });
  });
}
