/**
 * Per-account throttling of failed sign-ins (ASVS 6.3.1), Keycloak/Auth0
 * style but never a permanent lockout:
 *
 * - failures are counted per normalised submitted email in a `windowMs` window
 *   (unknown emails and wrong passwords alike, so nothing reveals whether an
 *   account exists; only a sha256 of the email reaches the store);
 * - reaching `maxFailures` locks for `baseLockMs`; while failures are still
 *   counted (the counter is kept for `windowMs` after each lock ends), every
 *   further failure after a lock expires locks again for twice as long, up to
 *   `maxLockMs`; the lock level is remembered for 12 h after the last lock;
 * - while locked, sign-in must be refused without verifying the password;
 * - a successful sign-in clears everything.
 */
import { createHash } from "node:crypto";
import type { CounterStore } from "./counter-store.ts";

export interface ThrottleOptions {
  maxFailures: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
}

export type ThrottleStatus =
  | {
      locked: false;
      /** From `check`: no failures counted and no lock level: a success has nothing to clear. */
      clean?: boolean;
    }
  | { locked: true; retryAfterSeconds: number };

export interface AccountThrottle {
  /** Before checking a password: if locked, { locked: true, retryAfterSeconds }. Keyed on the normalised submitted email. */
  check(email: string): Promise<ThrottleStatus>;
  /** After a failed attempt (unknown email or wrong password alike). Returns the lock, if this failure triggered one (or one is in force). */
  recordFailure(email: string): Promise<ThrottleStatus>;
  /**
   * After a successful sign-in: clears failures and lock level. Given what `check` saw for this
   * attempt and it was clean, there is nothing to clear and nothing is written (a failure that
   * raced in since is a real one and stays counted).
   */
  recordSuccess(email: string, checked?: ThrottleStatus): Promise<void>;
}

export const DEFAULT_THROTTLE_OPTIONS: Readonly<ThrottleOptions> = Object.freeze({
  maxFailures: 10,
  windowMs: 15 * 60_000,
  baseLockMs: 60_000,
  maxLockMs: 15 * 60_000,
});

/** How long the escalation level survives after the last lock. */
export const LOCK_LEVEL_TTL_MS = 12 * 60 * 60_000;

/** sha256 (hex) of the trimmed, lower-cased email: the only form stored. */
export function accountThrottleKey(email: string): string {
  return createHash("sha256").update(email.trim().toLowerCase()).digest("hex");
}

function validate(options: ThrottleOptions): ThrottleOptions {
  const { maxFailures, windowMs, baseLockMs, maxLockMs } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError("maxFailures must be a positive integer");
  for (const [name, value] of Object.entries({ windowMs, baseLockMs, maxLockMs })) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  }
  if (maxLockMs < baseLockMs) throw new RangeError("maxLockMs must be >= baseLockMs");
  return options;
}

export function createAccountThrottle(
  store: CounterStore,
  options: Partial<ThrottleOptions> = {},
  now: () => number = () => Date.now(),
): AccountThrottle {
  const opts = validate({ ...DEFAULT_THROTTLE_OPTIONS, ...stripUndefined(options) });

  const keys = (email: string) => {
    const id = accountThrottleKey(email);
    return { failures: `acct:fail:${id}`, lock: `acct:lock:${id}`, level: `acct:level:${id}` };
  };

  const retryAfter = (resetAt: number) => Math.max(1, Math.ceil((resetAt - now()) / 1000));

  const lockFor = (level: number) => Math.min(opts.maxLockMs, opts.baseLockMs * 2 ** Math.min(level - 1, 52));

  return {
    async check(email) {
      const k = keys(email);
      const [lock, failures, level] = await store.getMany(k.lock, k.failures, k.level);
      if (lock) return { locked: true, retryAfterSeconds: retryAfter(lock.resetAt) };
      return { locked: false, clean: !failures && !level };
    },

    async recordFailure(email) {
      const k = keys(email);
      // A failure that raced past `check` while a lock was being set must not escalate it.
      const current = await store.get(k.lock);
      if (current) return { locked: true, retryAfterSeconds: retryAfter(current.resetAt) };

      const failures = await store.increment(k.failures, opts.windowMs);
      if (failures.count < opts.maxFailures) return { locked: false };

      const level = (await store.increment(k.level, LOCK_LEVEL_TTL_MS)).count;
      const lockMs = lockFor(level);
      await Promise.all([
        store.set(k.lock, level, lockMs),
        // Refresh the level's 12 h lifetime from this lock.
        store.set(k.level, level, LOCK_LEVEL_TTL_MS),
        // Keep counting failures through the lock and one window after it, so
        // resuming after the wait re-locks at once (with a doubled wait).
        store.set(k.failures, failures.count, lockMs + opts.windowMs),
      ]);
      return { locked: true, retryAfterSeconds: Math.max(1, Math.ceil(lockMs / 1000)) };
    },

    async recordSuccess(email, checked) {
      if (checked && !checked.locked && checked.clean) return;
      const k = keys(email);
      await store.delete(k.failures, k.lock, k.level);
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
