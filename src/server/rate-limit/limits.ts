import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { AppConfig } from "../config/index.ts";
import type { Db } from "../db/index.ts";
import { tooManyRequests } from "../http/errors.ts";
import { createBatchedRateLimiter } from "./batched-limiter.ts";
import { createSqlCounterStore, type CounterStore } from "./counter-store.ts";
import { createRateLimiter, type LimitDecision, type RateRule } from "./rate-limiter.ts";
import { connectRedisCounters } from "./redis-outage.ts";
import { MAIL_PER_ADDRESS_WINDOW_MS, RULES } from "./rules.ts";

export interface CounterStores {
  /** Per-IP limits and quotas: with Redis, fail open while it is unreachable (decision 010). */
  counters: CounterStore;
  /** The per-account sign-in throttle: with Redis, fails closed while it is unreachable. */
  throttleCounters: CounterStore;
  redis?: Redis;
}

/** Counters in Redis when REDIS_URL is set, else in the database (rate_limit_counter). */
export function openCounterStores(config: AppConfig, db: Db, logger: Logger): CounterStores {
  if (!config.env.REDIS_URL) {
    const counters = createSqlCounterStore(db.kysely);
    return { counters, throttleCounters: counters };
  }
  const { redis, lenient, strict } = connectRedisCounters(config.env.REDIS_URL, logger);
  return { counters: lenient, throttleCounters: strict, redis };
}

export interface Limits {
  consume(rule: RateRule, key: string): Promise<void>;
  /** `consume` of several rules in one store write; a 429 when any refuses (the longest wait). */
  consumeAll(rules: RateRule[], key: string): Promise<void>;
  /** `consume` without a promise when it can decide at once (the /api/v1 rule, counted in memory): the hot path. */
  consumeNow(rule: RateRule, key: string): Promise<void> | undefined;
  /** Count one against `rule` and say what it decided, whatever RATE_LIMIT says (quotas). */
  decide(rule: RateRule, key: string): Promise<LimitDecision>;
}

/**
 * The per-IP rules of rules.ts, answering 429 with Retry-After. With RATE_LIMIT=off they count
 * nothing; `decide` (quotas such as chat messages) counts whatever it says.
 */
export function createLimits(counters: CounterStore, enabled: boolean): Limits {
  const limiter = createRateLimiter(counters);
  // The generous per-IP rule on every /api/v1 request is counted in-process and added to the
  // store in batches (exact near the limit): a store write per request cost as much CPU as the
  // rest of a cached GET /api/v1/me (batched-limiter.ts, bench/README.md).
  const apiLimiter = createBatchedRateLimiter(counters);
  const limits: Limits = {
    async consume(rule, key) {
      await limits.consumeNow(rule, key);
    },
    async consumeAll(rules, key) {
      if (!enabled) return;
      const denied = (await limiter.consumeAll(rules, key)).filter((d) => !d.allowed);
      if (denied.length) throw tooManyRequests(Math.max(...denied.map((d) => d.retryAfterSeconds)));
    },
    consumeNow(rule, key) {
      if (!enabled) return undefined;
      const decision = rule.name === RULES.api.name ? apiLimiter.consumeNow(rule, key) : limiter.consume(rule, key);
      if (decision instanceof Promise) {
        return decision.then((d) => {
          if (!d.allowed) throw tooManyRequests(d.retryAfterSeconds);
        });
      }
      if (!decision.allowed) throw tooManyRequests(decision.retryAfterSeconds);
      return undefined;
    },
    decide: (rule, key) => limiter.consume(rule, key),
  };
  return limits;
}

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

export interface MailQuota {
  /** One mail of this kind per address a minute (RATE_LIMIT=off: always allowed). */
  take(kind: string, email: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

export function createMailQuota(counters: CounterStore, enabled: boolean): MailQuota {
  return {
    async take(kind, email) {
      if (!enabled) return { allowed: true, retryAfterSeconds: 0 };
      const state = await counters.increment(`mail:${kind}:${sha(email.trim().toLowerCase())}`, MAIL_PER_ADDRESS_WINDOW_MS);
      return { allowed: state.count <= 1, retryAfterSeconds: Math.max(1, Math.ceil((state.resetAt - Date.now()) / 1000)) };
    },
  };
}
