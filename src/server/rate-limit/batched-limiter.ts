/**
 * A rate limiter for generous rules (RULES.api: 1200 requests a minute per IP) that does not
 * write to the shared counter store on every request.
 *
 * Counting every /api/v1 request in the store is one SQL upsert (or Redis round trip) per
 * request: about as much CPU as the rest of a cached GET /api/v1/me (bench/README.md). Far from
 * the limit, nobody needs an exact count, so each process counts in memory and adds what it
 * counted to the store in batches:
 *
 * - requests are counted locally, in a window that starts with a key's first request here;
 * - every `batch` of them is added to the store in one increment (which starts the store's
 *   window at the same end, or joins the one another process started), and the answer brings
 *   back what other processes have added meanwhile;
 * - once the count seen here (store + local) comes within `batch` of the limit, every request
 *   goes to the store, so the limit itself is enforced on the shared count as before.
 *
 * Most clients stay below one batch a window and never cost a write. What this gives away:
 * up to `batch` requests per process a window that the store has not heard of, so across P
 * processes (or after a restart within a window) at most P x `batch` requests over the limit.
 * With one process and no restart, decisions are exactly those of the plain limiter (tested).
 * Denied requests still count, as before.
 */
import type { CounterStore } from "./counter-store.ts";
import type { LimitDecision, RateLimiter, RateRule } from "./rate-limiter.ts";

export interface BatchedLimiterOptions {
  /** Share of `rule.max` a process may count before adding it to the store (default 5 %). */
  slack?: number;
  /** Keys tracked in memory at most; beyond, requests go straight to the store. */
  maxKeys?: number;
  now?: () => number;
}

interface KeyState {
  resetAt: number;
  /** The store's count at the last exchange (includes other processes' requests). */
  stored: number;
  /** Counted here, not yet sent. */
  pending: number;
  /** Sent, not yet acknowledged. */
  inflight: number;
  /** Settles when every batch sent so far has been answered. */
  flushing?: Promise<void>;
}

export interface BatchedRateLimiter extends Pick<RateLimiter, "consume"> {
  /** `consume`, answering without a promise when the request is counted in memory (most of them). */
  consumeNow(rule: RateRule, key: string): LimitDecision | Promise<LimitDecision>;
}

export function createBatchedRateLimiter(store: CounterStore, options: BatchedLimiterOptions = {}): BatchedRateLimiter {
  const now = options.now ?? (() => Date.now());
  const slack = options.slack ?? 0.05;
  const maxKeys = options.maxKeys ?? 100_000;
  /** Per rule name, per key (no string building on the hot path). */
  const states = new Map<string, Map<string, KeyState>>();
  let size = 0;
  let lastSweep = 0;

  function decide(rule: RateRule, count: number, resetAt: number, t = now()): LimitDecision {
    const allowed = count <= rule.max;
    const untilReset = Math.max(0, Math.ceil((resetAt - t) / 1000));
    return {
      allowed,
      remaining: Math.max(0, rule.max - count),
      retryAfterSeconds: allowed ? untilReset : Math.max(1, untilReset),
      limit: rule.max,
    };
  }

  function sweep(t: number) {
    if (t - lastSweep < 10_000 && size < maxKeys) return;
    lastSweep = t;
    for (const keys of states.values()) {
      for (const [key, s] of keys) {
        if (s.resetAt <= t) {
          keys.delete(key);
          size--;
        }
      }
    }
  }

  /** The same window, give or take clock jitter (Redis reports a TTL, so resetAt moves by a few ms). */
  const sameWindow = (a: number, b: number, windowMs: number) => Math.abs(a - b) < Math.min(1000, windowMs / 2);

  /** Time left in this key's window: a store counter started now ends when the local window does. */
  const remaining = (s: KeyState) => Math.max(1, s.resetAt - now());

  /** Add `pending` to the store without holding up the request that filled the batch. */
  function flush(key: string, s: KeyState, windowMs: number) {
    const n = s.pending;
    s.pending = 0;
    s.inflight += n;
    const done = store.increment(key, remaining(s), n).then(
      (state) => {
        s.inflight -= n;
        if (!sameWindow(state.resetAt, s.resetAt, windowMs)) {
          // The store's window ended and restarted with this batch: follow it.
          s.resetAt = state.resetAt;
          s.stored = state.count;
        } else s.stored = Math.max(s.stored, state.count);
      },
      () => {
        // Store unreachable: keep the requests counted here; the next exchange sends them.
        s.inflight -= n;
        s.pending += n;
      },
    );
    const all = s.flushing ? Promise.all([s.flushing, done]).then(() => undefined) : done;
    s.flushing = all;
    void all.then(() => {
      if (s.flushing === all) s.flushing = undefined;
    });
  }

  /**
   * Near the limit: count on the store, exactly as the plain limiter does, once the batches on
   * their way have landed (else the store's answer would miss them and admit too many).
   */
  async function nearLimit(rule: RateRule, key: string, s: KeyState): Promise<LimitDecision> {
    while (s.flushing) await s.flushing;
    // The window ended meanwhile: count this request in the new one.
    if (s.resetAt <= now()) return consumeNow(rule, key);
    const n = s.pending + 1;
    s.pending = 0;
    return fromStore(rule, `${rule.name}:${key}`, n, remaining(s), s);
  }

  async function fromStore(rule: RateRule, key: string, by: number, windowMs: number, s?: KeyState): Promise<LimitDecision> {
    const state = await store.increment(key, windowMs, by);
    if (s) {
      s.stored = state.count;
      s.resetAt = state.resetAt;
    }
    return decide(rule, state.count, state.resetAt);
  }

  function consumeNow(rule: RateRule, key: string): LimitDecision | Promise<LimitDecision> {
    if (!Number.isInteger(rule.max) || rule.max < 0) throw new RangeError(`rate rule ${rule.name}: max must be a non-negative integer`);
    const batch = Math.floor(rule.max * slack);
    // Not batched (a tight rule): the plain limiter's way.
    if (batch < 2) return fromStore(rule, `${rule.name}:${key}`, 1, rule.windowMs);
    const t = now();
    let keys = states.get(rule.name);
    if (!keys) states.set(rule.name, (keys = new Map()));
    let s = keys.get(key);
    if (!s || s.resetAt <= t) {
      if (s) {
        keys.delete(key);
        size--;
      }
      sweep(t);
      // Too many keys in memory: the plain limiter's way.
      if (size >= maxKeys) return fromStore(rule, `${rule.name}:${key}`, 1, rule.windowMs);
      s = { resetAt: t + rule.windowMs, stored: 0, pending: 0, inflight: 0 };
      keys.set(key, s);
      size++;
    }
    const seen = s.stored + s.inflight + s.pending + 1;
    if (seen + batch <= rule.max) {
      s.pending++;
      if (s.pending >= batch) flush(`${rule.name}:${key}`, s, rule.windowMs);
      return decide(rule, seen, s.resetAt, t);
    }
    return nearLimit(rule, key, s);
  }

  return {
    consumeNow,
    async consume(rule, key) {
      return consumeNow(rule, key);
    },
  };
}
