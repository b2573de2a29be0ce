import type { RateRule } from "./rate-limiter.ts";

const MIN = 60_000;

/**
 * Per-IP limits, declared in one place. Numbers follow Supabase Auth's and Auth0's published
 * defaults (docs/decisions/006-rate-limiting.md): generous for people, tight for scripts.
 */
export const RULES = {
  /** Every /api/auth/* request. */
  auth: { name: "ip:auth", max: 300, windowMs: 5 * MIN },
  /** Password sign-in attempts. */
  signIn: { name: "ip:sign-in", max: 30, windowMs: 5 * MIN },
  signUp: { name: "ip:sign-up", max: 30, windowMs: 5 * MIN },
  /** Verification and reset mails. */
  mail: { name: "ip:mail", max: 10, windowMs: 15 * MIN },
  /** Password grant on the token endpoint. */
  tokenPassword: { name: "ip:token-password", max: 30, windowMs: 5 * MIN },
  /** Refresh grant (Supabase: 150 per 5 min). */
  tokenRefresh: { name: "ip:token-refresh", max: 150, windowMs: 5 * MIN },
  /** The book's search: typed as you go, so a reader sends a few a second at most (issue 14). */
  search: { name: "ip:search", max: 120, windowMs: 1 * MIN },
  /** Progress reports and bookmark changes per reader: a scroll reports every few seconds. */
  place: { name: "user:place", max: 120, windowMs: 1 * MIN },
  /** Everything else under /api/v1. */
  api: { name: "ip:api", max: 1200, windowMs: 1 * MIN },
} satisfies Record<string, RateRule>;

export type RuleName = keyof typeof RULES;

const DAY = 24 * 60 * MIN;

/**
 * The chat's limits, from the settings: questions a minute per reader and per IP
 * (CHAT_MESSAGES_PER_MINUTE), and a daily quota per reader, smaller for guests
 * (CHAT_ANONYMOUS_DAILY_MESSAGES, CHAT_USER_DAILY_MESSAGES). The daily quota holds even with
 * RATE_LIMIT=off: it is a product limit, not a brake on scripts.
 */
export function chatRules(limits: { perMinute: number; anonymousPerDay: number; userPerDay: number }) {
  return {
    perReader: { name: "chat:user-min", max: limits.perMinute, windowMs: MIN },
    perIp: { name: "chat:ip-min", max: limits.perMinute, windowMs: MIN },
    guestDay: { name: "chat:day", max: limits.anonymousPerDay, windowMs: DAY },
    readerDay: { name: "chat:day", max: limits.userPerDay, windowMs: DAY },
  } satisfies Record<string, RateRule>;
}

/** At most one mail of a kind per address per minute (ASVS 6.3.x; Supabase's 60 s). */
export const MAIL_PER_ADDRESS_WINDOW_MS = 60_000;
