import type { PasswordUserContext } from "../../shared/password-policy.ts";

/**
 * The shared password policy (src/shared/password-policy.ts, the same code the server runs),
 * loaded on demand: it carries zxcvbn and its dictionaries, far too big for the first load.
 * Until it arrives, only the length rules run (they need no dictionary), so a password is
 * never called fine before the full rules have passed.
 */
type PolicyModule = typeof import("../../shared/password-policy.ts");

let loaded: PolicyModule | null = null;
let loading: Promise<PolicyModule> | null = null;

export function loadPolicy(): Promise<PolicyModule> {
  loading ??= import("../../shared/password-policy.ts").then(
    (m) => (loaded = m),
    (err: unknown) => {
      loading = null; // a later attempt may succeed (flaky network)
      throw err;
    },
  );
  return loading;
}

export function policyIfLoaded(): PolicyModule | null {
  return loaded;
}

/** Mirrors PASSWORD_MAX_LENGTH in the shared policy (checked by a unit test). */
export const MAX_PASSWORD_LENGTH = 128;
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;

/** Code points after NFKC, as the shared policy counts them. */
export function passwordLength(password: string): number {
  let n = 0;
  for (const _ of password.normalize("NFKC")) n++;
  return n;
}

/** The length rules alone: same order and wording as the shared policy's first two rules. */
export function quickRuleProblem(password: string, minLength: number): string | null {
  const length = passwordLength(password);
  if (length < minLength) return `This password is too short. Use at least ${minLength} characters.`;
  if (length > MAX_PASSWORD_LENGTH) return `This password is too long. Use at most ${MAX_PASSWORD_LENGTH} characters.`;
  return null;
}

/**
 * What is wrong with a new password, or null. Uses every rule once the policy is loaded
 * (and waits for it briefly when asked to), else the length rules; the server checks again.
 */
export async function newPasswordProblem(
  password: string,
  user: PasswordUserContext,
  minLength: number,
  { waitMs = 1500 }: { waitMs?: number } = {},
): Promise<string | null> {
  const quick = quickRuleProblem(password, minLength);
  if (quick) return quick;
  const policy =
    loaded ??
    (await Promise.race([loadPolicy().catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), waitMs))]));
  if (!policy) return null;
  const verdict = policy.checkPasswordRules(password, user, { minLength });
  return verdict.ok ? null : verdict.message;
}
