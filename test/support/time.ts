/** Time in tests: waiting, and clocks the code under test reads. */
import { vi } from "vitest";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A clock to hand to code that takes `now()`: it moves only when told. */
export function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/**
 * Fake only `Date` (time keeps flowing, timers are real): argon2, SMTP and the databases are
 * untouched. Undo with `vi.useRealTimers()`.
 */
export function fakeDate() {
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  return {
    jump(ms: number) {
      vi.setSystemTime(Date.now() + ms);
    },
  };
}
