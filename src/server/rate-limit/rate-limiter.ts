/**
 * Per-key fixed-window rate limiter over a CounterStore. Each (rule, key) pair
 * has its own bucket, e.g. rule "sign-in" keyed by client IP.
 */
import type { CounterStore } from "./counter-store.ts";

export interface RateRule {
  /** Bucket namespace; must be unique per rule. */
  name: string;
  /** Requests allowed per window. */
  max: number;
  windowMs: number;
}

export interface LimitDecision {
  allowed: boolean;
  /** Requests left in this window (0 when denied). */
  remaining: number;
  /** Seconds until the window resets; at least 1 when denied. Suitable for `Retry-After`. */
  retryAfterSeconds: number;
  limit: number;
}

export interface RateLimiter {
  /** Count one request against `rule` for `key` and decide. Denied requests count too. */
  consume(rule: RateRule, key: string): Promise<LimitDecision>;
}

export function createRateLimiter(store: CounterStore, now: () => number = () => Date.now()): RateLimiter {
  return {
    async consume(rule, key) {
      if (!Number.isInteger(rule.max) || rule.max < 0) throw new RangeError(`rate rule ${rule.name}: max must be a non-negative integer`);
      const { count, resetAt } = await store.increment(`${rule.name}:${key}`, rule.windowMs);
      const allowed = count <= rule.max;
      const untilReset = Math.max(0, Math.ceil((resetAt - now()) / 1000));
      return {
        allowed,
        remaining: Math.max(0, rule.max - count),
        retryAfterSeconds: allowed ? untilReset : Math.max(1, untilReset),
        limit: rule.max,
      };
    },
  };
}
