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
  /** `consume` against several rules at once (one store write), decisions in the order given. */
  consumeAll(rules: RateRule[], key: string): Promise<LimitDecision[]>;
}

export function createRateLimiter(store: CounterStore, now: () => number = () => Date.now()): RateLimiter {
  const checked = (rule: RateRule) => {
    if (!Number.isInteger(rule.max) || rule.max < 0) throw new RangeError(`rate rule ${rule.name}: max must be a non-negative integer`);
    return rule;
  };
  const decide = (rule: RateRule, { count, resetAt }: { count: number; resetAt: number }): LimitDecision => {
    const allowed = count <= rule.max;
    const untilReset = Math.max(0, Math.ceil((resetAt - now()) / 1000));
    return {
      allowed,
      remaining: Math.max(0, rule.max - count),
      retryAfterSeconds: allowed ? untilReset : Math.max(1, untilReset),
      limit: rule.max,
    };
  };
  return {
    async consume(rule, key) {
      return decide(rule, await store.increment(`${checked(rule).name}:${key}`, rule.windowMs));
    },
    async consumeAll(rules, key) {
      const states = await store.incrementMany(rules.map((rule) => ({ key: `${checked(rule).name}:${key}`, windowMs: rule.windowMs })));
      return rules.map((rule, i) => decide(rule, states[i]!));
    },
  };
}
