/**
 * What the counters do while Redis cannot answer (decision 010).
 *
 * Left to ioredis, a command sent while Redis is down waits in the offline queue through the
 * reconnection attempts and fails after up to ~15 s with MaxRetriesPerRequestError: every
 * rate-limited request hung, then answered 500. Here each command gets a short time limit, and a
 * failure pauses Redis for a moment (no request waits for a server known to be away), then:
 *
 * - `lenient` (per-IP limits, chat quotas, the mail-per-address limit) fails OPEN, but not
 *   unbounded: it counts in this process's memory until Redis answers again, so each instance
 *   still applies every limit on its own (at most N x the limit across N instances, for the
 *   length of the outage);
 * - `strict` (the per-account password throttle) fails CLOSED: CounterStoreUnavailableError,
 *   answered 503 with Retry-After. Per-process counts would let every instance's failures start
 *   from zero and would not see a lock already set in Redis, which is what the throttle is for.
 */
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { createMemoryCounterStore, createRedisCounterStore, type CounterStore } from "./counter-store.ts";

/** A counter the request must not go without could not be read or written. Answered 503 + Retry-After. */
export class CounterStoreUnavailableError extends Error {
  readonly code = "COUNTER_STORE_UNAVAILABLE";
  constructor(message = "The rate-limit counter store is unreachable", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CounterStoreUnavailableError";
  }
}

export interface OutageOptions {
  /** A command not answered within this is taken as Redis being unreachable. */
  timeoutMs?: number;
  /** After a failure, the store is not asked again for this long. */
  pauseMs?: number;
  /** True when the client already knows the server is away (ioredis: reconnecting): no need to ask. */
  knownDown?: () => boolean;
  onDown?: (err: unknown) => void;
  onUp?: () => void;
  now?: () => number;
}

export interface GuardedCounterStores {
  /** Fails open to per-process memory counts: per-IP limits and quotas. */
  lenient: CounterStore;
  /** Fails closed with CounterStoreUnavailableError: the per-account throttle. */
  strict: CounterStore;
}

export const DEFAULT_TIMEOUT_MS = 500;
export const DEFAULT_PAUSE_MS = 2_000;

/** The two views of one shared store (one pause state: both see the outage at once). */
export function guardCounterStore(primary: CounterStore, options: OutageOptions = {}): GuardedCounterStores {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
  const now = options.now ?? (() => Date.now());
  let pausedUntil = 0;
  let down = false;
  let memory = createMemoryCounterStore(now);

  function withTimeout<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A timer that fired late (a busy event loop) may be racing a reply that is already
        // waiting on the socket: let pending I/O run first, so only a real silence counts.
        setImmediate(() => reject(new CounterStoreUnavailableError(`no answer within ${timeoutMs} ms`)));
      }, timeoutMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  const markDown = (err: unknown) => {
    if (down) return;
    down = true;
    options.onDown?.(err);
  };

  async function ask<T>(op: (store: CounterStore) => Promise<T>): Promise<T> {
    if (now() < pausedUntil) throw new CounterStoreUnavailableError();
    if (options.knownDown?.()) {
      // No pause: the client's own state says when the server is back.
      const err = new CounterStoreUnavailableError("The rate-limit counter store is reconnecting");
      markDown(err);
      throw err;
    }
    try {
      const value = await withTimeout(op(primary));
      if (down) {
        down = false;
        memory = createMemoryCounterStore(now); // the outage's counts end with it
        options.onUp?.();
      }
      return value;
    } catch (err) {
      // Our own argument checks are bugs to surface, not outages.
      if (err instanceof RangeError) throw err;
      pausedUntil = now() + pauseMs;
      markDown(err);
      throw err instanceof CounterStoreUnavailableError ? err : new CounterStoreUnavailableError(undefined, { cause: err });
    }
  }

  function view(fallback: boolean): CounterStore {
    const run = async <T>(op: (store: CounterStore) => Promise<T>): Promise<T> => {
      try {
        return await ask(op);
      } catch (err) {
        if (fallback && err instanceof CounterStoreUnavailableError) return op(memory);
        throw err;
      }
    };
    return {
      increment: (key, windowMs, by) => run((s) => s.increment(key, windowMs, by)),
      incrementMany: (entries) => run((s) => s.incrementMany(entries)),
      get: (key) => run((s) => s.get(key)),
      getMany: (...keys) => run((s) => s.getMany(...keys)),
      set: (key, count, ttlMs) => run((s) => s.set(key, count, ttlMs)),
      delete: (...keys) => run((s) => s.delete(...keys)),
    };
  }

  return { lenient: view(true), strict: view(false) };
}

/** The Redis client and the guarded counter stores over it, for REDIS_URL. */
export function connectRedisCounters(url: string, logger: Logger): GuardedCounterStores & { redis: Redis } {
  // Commands are only sent while the client is connected or connecting (knownDown below), so the
  // offline queue holds at most what was in flight; our time limit answers before its retries do.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, connectTimeout: 2_000 });
  redis.on("error", (err) => logger.error({ err: err.message }, "redis error"));
  const stores = guardCounterStore(createRedisCounterStore(redis), {
    knownDown: () => redis.status === "reconnecting" || redis.status === "end" || redis.status === "close",
    onDown: (err) =>
      logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "redis unreachable: per-IP limits count in this process, password sign-in answers 503 until it is back",
      ),
    onUp: () => logger.warn("redis reachable again: counters are shared again"),
  });
  return { redis, ...stores };
}
