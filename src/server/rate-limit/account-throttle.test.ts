import { describe, expect, it } from "vitest";
import { accountThrottleKey, createAccountThrottle, type AccountThrottle } from "./account-throttle.ts";
import { createMemoryCounterStore, type CounterStore } from "./counter-store.ts";

function setup() {
  let t = 1_700_000_000_000;
  const now = () => t;
  const inner = createMemoryCounterStore(now);
  const keysSeen = new Set<string>();
  let writes = 0;
  // Record every key the throttle touches, and count writes.
  const store: CounterStore = {
    increment: (k, w) => (keysSeen.add(k), writes++, inner.increment(k, w)),
    incrementMany: (list) => (list.forEach((e) => keysSeen.add(e.key)), writes++, inner.incrementMany(list)),
    get: (k) => (keysSeen.add(k), inner.get(k)),
    getMany: (...ks) => (ks.forEach((k) => keysSeen.add(k)), inner.getMany(...ks)),
    set: (k, c, ttl) => (keysSeen.add(k), writes++, inner.set(k, c, ttl)),
    delete: (...ks) => (ks.forEach((k) => keysSeen.add(k)), writes++, inner.delete(...ks)),
  };
  const throttle = createAccountThrottle(store, {}, now);
  return { throttle, keysSeen, writes: () => writes, advance: (ms: number) => void (t += ms) };
}

async function fail(throttle: AccountThrottle, email: string, times: number) {
  let last;
  for (let i = 0; i < times; i++) last = await throttle.recordFailure(email);
  return last;
}

const EMAIL = "alice@example.com";

describe("createAccountThrottle", () => {
  it("9 failures do not lock; the 10th locks for 60 s; unlocked after 60 s", async () => {
    const { throttle, advance } = setup();
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
    expect(await throttle.check(EMAIL)).toMatchObject({ locked: false });

    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 60 });
    expect(await throttle.check(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 60 });

    advance(59_001);
    expect(await throttle.check(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 1 });
    advance(999);
    expect(await throttle.check(EMAIL)).toMatchObject({ locked: false });
  });

  it("each failure after a lock expires locks again with the wait doubled, capped at 15 min", async () => {
    const { throttle, advance } = setup();
    await fail(throttle, EMAIL, 10);
    const waits = [60];
    let wait = 60;
    for (let i = 0; i < 6; i++) {
      advance(wait * 1000);
      expect(await throttle.check(EMAIL)).toMatchObject({ locked: false });
      const lock = await throttle.recordFailure(EMAIL);
      expect(lock.locked).toBe(true);
      wait = lock.locked ? lock.retryAfterSeconds : 0;
      waits.push(wait);
    }
    expect(waits).toEqual([60, 120, 240, 480, 900, 900, 900]);
  });

  it("failures while locked neither escalate nor extend the lock", async () => {
    const { throttle, advance } = setup();
    await fail(throttle, EMAIL, 10);
    advance(30_000);
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 30 });
    advance(30_000);
    expect(await throttle.check(EMAIL)).toMatchObject({ locked: false });
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 120 });
  });

  it("failures outside the window are forgotten (fixed window)", async () => {
    const { throttle, advance } = setup();
    await fail(throttle, EMAIL, 9);
    advance(15 * 60_000);
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 60 });
  });

  it("after a quiet window the count restarts but the lock level is remembered (12 h)", async () => {
    const { throttle, advance } = setup();
    await fail(throttle, EMAIL, 10); // level 1: 60 s
    advance(60_000 + 15 * 60_000); // lock over, then a full quiet window
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 120 });

    advance(12 * 60 * 60_000 + 1); // level forgotten
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 60 });
  });

  it("success resets failures and lock level", async () => {
    const { throttle, advance } = setup();
    await fail(throttle, EMAIL, 10);
    advance(60_000);
    await throttle.recordFailure(EMAIL); // 120 s
    advance(120_000);
    await throttle.recordSuccess(EMAIL);
    expect(await throttle.check(EMAIL)).toMatchObject({ locked: false });
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
    expect(await throttle.recordFailure(EMAIL)).toEqual({ locked: true, retryAfterSeconds: 60 });
  });

  it("a success after a clean check writes nothing; after failures it clears them", async () => {
    const { throttle, writes } = setup();
    const clean = await throttle.check(EMAIL);
    expect(clean).toEqual({ locked: false, clean: true });
    await throttle.recordSuccess(EMAIL, clean);
    expect(writes()).toBe(0);

    await fail(throttle, EMAIL, 3);
    const dirty = await throttle.check(EMAIL);
    expect(dirty).toEqual({ locked: false, clean: false });
    const before = writes();
    await throttle.recordSuccess(EMAIL, dirty);
    expect(writes()).toBe(before + 1);
    // The three earlier failures are gone: nine more still do not lock.
    expect(await fail(throttle, EMAIL, 9)).toEqual({ locked: false });
  });

  it("a failure that races in after a clean check stays counted", async () => {
    const { throttle } = setup();
    const checked = await throttle.check(EMAIL);
    await fail(throttle, EMAIL, 9); // meanwhile, other attempts for this email fail
    await throttle.recordSuccess(EMAIL, checked);
    expect(await throttle.recordFailure(EMAIL)).toMatchObject({ locked: true });
  });

  it("normalises the email and never stores it raw", async () => {
    const { throttle, keysSeen } = setup();
    expect(accountThrottleKey("Alice@Example.com ")).toBe(accountThrottleKey("alice@example.com"));
    expect(accountThrottleKey("alice@example.com")).toMatch(/^[0-9a-f]{64}$/);
    await fail(throttle, "Alice@Example.com ", 5);
    await fail(throttle, "  ALICE@example.COM", 4);
    expect(await throttle.recordFailure("alice@example.com")).toMatchObject({ locked: true });
    expect(await throttle.check("Alice@Example.com ")).toMatchObject({ locked: true });
    for (const key of keysSeen) {
      expect(key.toLowerCase()).not.toContain("alice");
      expect(key).toContain(accountThrottleKey(EMAIL));
    }
  });

  it("unknown and known emails behave identically; accounts are independent", async () => {
    const { throttle } = setup();
    const known = [];
    const unknown = [];
    for (let i = 0; i < 11; i++) {
      known.push(await throttle.recordFailure(EMAIL));
      unknown.push(await throttle.recordFailure("nobody-registered@example.com"));
    }
    expect(unknown).toEqual(known);
    expect(await throttle.check("bob@example.com")).toEqual({ locked: false, clean: true });
  });

  it("validates options", () => {
    const store = createMemoryCounterStore();
    expect(() => createAccountThrottle(store, { maxFailures: 0 })).toThrow(RangeError);
    expect(() => createAccountThrottle(store, { baseLockMs: 10_000, maxLockMs: 5_000 })).toThrow(RangeError);
    expect(() => createAccountThrottle(store, { windowMs: undefined })).not.toThrow();
  });
});
