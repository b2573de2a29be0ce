/**
 * Shared password policy, used by the server and the web app.
 *
 * This module must stay browser-safe: no `node:` imports, no Node globals.
 *
 * Policy (NIST SP 800-63B §3.1.1.2, OWASP ASVS 5.0 V6.2):
 *  - The password is normalised with Unicode NFKC before anything else
 *    (`normalizePassword`). Callers that hash or verify a password MUST hash
 *    `normalizePassword(password)`, so that the same password typed on
 *    different keyboards / input methods gives the same hash.
 *  - Length is counted in Unicode code points of the normalised string
 *    (`[...s].length`), not UTF-16 code units and not graphemes: "🔥" counts 1,
 *    a ZWJ family emoji such as "👨‍👩‍👧" counts 5.
 *  - Minimum length is configurable (default 8, allowed range 8..64);
 *    maximum is 128 code points (ASVS 6.2.9 requires at least 64 to be allowed).
 *    Passwords are never truncated.
 *  - No composition rules (ASVS 6.2.5): any Unicode is allowed, including
 *    spaces, emoji and CJK.
 *  - Passwords on the common-password list of `@zxcvbn-ts/language-common`
 *    are rejected (ASVS 6.2.4), compared case-insensitively.
 *  - Passwords made (almost) only of the user's own name / email are rejected
 *    (ASVS 6.2.11 context-specific words; see `containsUserInfo` for the rule).
 *  - A zxcvbn-ts strength score (0..4) and feedback are returned by
 *    `assessPassword` for a strength meter. The score is informational only:
 *    it never rejects a password and never accepts one a rule rejects.
 *
 * Rules are checked in this order, and the first failure is reported:
 *   PASSWORD_TOO_SHORT, PASSWORD_TOO_LONG, PASSWORD_TOO_COMMON,
 *   PASSWORD_CONTAINS_USER_INFO.
 *
 * Note on loading cost: the dictionary packages decompress their word lists
 * when they are imported (that is module-level code inside those packages);
 * what this module defers is building the common-password Set and the zxcvbn
 * matcher (ranked dictionaries), which happens on first use.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import {
  adjacencyGraphs as commonGraphs,
  dictionary as commonDictionary,
} from '@zxcvbn-ts/language-common';
import { dictionary as enDictionary, translations as enTranslations } from '@zxcvbn-ts/language-en';

export const PASSWORD_MIN_LENGTH_DEFAULT = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** Lowest value accepted for `options.minLength` (ASVS 6.2.1 / NIST: at least 8). */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
/** Highest value accepted for `options.minLength` (64-char passwords must stay allowed, ASVS 6.2.9). */
export const PASSWORD_MIN_LENGTH_CEILING = 64;
/**
 * A password that contains the user's name/email must have at least this many
 * code points of "something else" left once those parts are removed.
 */
export const USER_INFO_MIN_REMAINDER = 4;

export type PasswordProblemCode =
  | 'PASSWORD_TOO_SHORT'
  | 'PASSWORD_TOO_LONG'
  | 'PASSWORD_TOO_COMMON'
  | 'PASSWORD_CONTAINS_USER_INFO';

export interface PasswordUserContext {
  email?: string | null;
  name?: string | null;
}

export interface PasswordPolicyOptions {
  /** Minimum length in code points; integer in 8..64. Default 8. */
  minLength?: number;
}

export type PasswordScore = 0 | 1 | 2 | 3 | 4;

export interface PasswordAssessment {
  ok: boolean;
  /** First failing rule, when !ok. */
  code?: PasswordProblemCode;
  /** Human sentence saying why, when !ok. */
  message?: string;
  /** zxcvbn score; forced to 0 when !ok. */
  score: PasswordScore;
  /** Length in code points after NFKC. */
  length: number;
  /** zxcvbn warning and suggestions (English), short. */
  feedback: string[];
}

export type PasswordRulesResult =
  | { ok: true }
  | { ok: false; code: PasswordProblemCode; message: string };

// ---------------------------------------------------------------------------
// Normalisation and length
// ---------------------------------------------------------------------------

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Number of Unicode code points (lone surrogates count 1 each). */
function codePointCount(s: string): number {
  let n = 0;
  // for..of iterates by code point; avoids allocating an array for long input.
  for (const _ of s) n++;
  return n;
}

/** Length in code points of the NFKC-normalised password. */
export function passwordLength(password: string): number {
  return codePointCount(normalizePassword(password));
}

function resolveMinLength(options?: PasswordPolicyOptions): number {
  const min = options?.minLength ?? PASSWORD_MIN_LENGTH_DEFAULT;
  if (
    !Number.isInteger(min) ||
    min < PASSWORD_MIN_LENGTH_FLOOR ||
    min > PASSWORD_MIN_LENGTH_CEILING
  ) {
    // A configuration error, not a user error: fail loudly rather than
    // silently weakening the policy.
    throw new RangeError(
      `password minLength must be an integer between ${PASSWORD_MIN_LENGTH_FLOOR} and ${PASSWORD_MIN_LENGTH_CEILING}, got ${String(min)}`,
    );
  }
  return min;
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

export function passwordProblemMessage(
  code: PasswordProblemCode,
  minLength: number = PASSWORD_MIN_LENGTH_DEFAULT,
): string {
  switch (code) {
    case 'PASSWORD_TOO_SHORT':
      return `This password is too short. Use at least ${minLength} characters.`;
    case 'PASSWORD_TOO_LONG':
      return `This password is too long. Use at most ${PASSWORD_MAX_LENGTH} characters.`;
    case 'PASSWORD_TOO_COMMON':
      return 'This password is on a list of commonly used passwords. Choose something less predictable.';
    case 'PASSWORD_CONTAINS_USER_INFO':
      return 'This password is based on your name or email address. Choose something that is not about you.';
  }
}

// ---------------------------------------------------------------------------
// Common passwords (ASVS 6.2.4)
// ---------------------------------------------------------------------------

let commonPasswords: Set<string> | undefined;

function getCommonPasswords(): Set<string> {
  if (!commonPasswords) {
    const list = commonDictionary['passwords-common'];
    const set = new Set<string>();
    for (const entry of list) set.add(String(entry).normalize('NFKC').toLowerCase());
    commonPasswords = set;
  }
  return commonPasswords;
}

/** Number of distinct entries in the common-password list (builds it if needed). */
export function commonPasswordListSize(): number {
  return getCommonPasswords().size;
}

/** True when the (normalised, lower-cased) password is on the common list. */
export function isCommonPassword(password: string): boolean {
  return getCommonPasswords().has(normalizePassword(password).toLowerCase());
}

// ---------------------------------------------------------------------------
// User info (name / email) (ASVS 6.2.11, NIST "context-specific words")
// ---------------------------------------------------------------------------

const MIN_USER_TOKEN_LENGTH = 3;

/**
 * Case- and accent-insensitive form used to compare a password with the
 * user's name/email: NFKC, lower case, combining marks removed
 * (so "Zoë" matches "zoe"), then recomposed (NFC) so that Hangul and other
 * composed letters keep counting as one code point.
 */
function foldForComparison(s: string): string {
  return s.normalize('NFKC').toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
}

/** Runs of letters/digits, e.g. "alice.martin+news" -> ["alice", "martin", "news"]. */
function wordParts(s: string): string[] {
  return s.split(/[^\p{L}\p{N}]+/u).filter((p) => p.length > 0);
}

function compact(s: string): string {
  return s.replace(/[^\p{L}\p{N}]+/gu, '');
}

/**
 * Strings derived from the user's name and email that a password must not be
 * built from. All folded with `foldForComparison`; only tokens of at least
 * 3 code points are kept (shorter ones would match too much by accident).
 *
 *  - name "Alice Martin": "alice martin", "alicemartin", "alice", "martin"
 *  - email "alice.martin@example.com": the full address, the local part
 *    "alice.martin", "alicemartin", "alice", "martin", the domain
 *    "example.com" and its labels except the top-level one: "example".
 */
export function userInfoTokens(user?: PasswordUserContext | null): string[] {
  const tokens = new Set<string>();
  const add = (t: string): void => {
    const v = t.trim();
    if (codePointCount(v) >= MIN_USER_TOKEN_LENGTH) tokens.add(v);
  };
  const addWithParts = (t: string): void => {
    add(t);
    add(compact(t));
    for (const part of wordParts(t)) add(part);
  };

  const name = typeof user?.name === 'string' ? foldForComparison(user.name).trim() : '';
  if (name) addWithParts(name.replace(/\s+/gu, ' '));

  const email = typeof user?.email === 'string' ? foldForComparison(user.email).trim() : '';
  if (email) {
    const at = email.lastIndexOf('@');
    if (at < 0) {
      addWithParts(email);
    } else {
      add(email);
      addWithParts(email.slice(0, at));
      const domain = email.slice(at + 1);
      add(domain);
      const labels = domain.split('.').filter((l) => l.length > 0);
      // Drop the top-level label ("com", "org", ...) when there is more than one.
      for (const label of labels.length > 1 ? labels.slice(0, -1) : labels) addWithParts(label);
    }
  }

  // Longest first so that "alicemartin" is removed before "alice".
  return [...tokens].sort((a, b) => b.length - a.length);
}

/**
 * Code points that do not count as "something else" next to a name/email:
 * digits, punctuation, whitespace/separators, control/format characters
 * (e.g. ZWJ, variation selectors) and the ASCII symbols $ + < = > ^ ` | ~.
 * These are the predictable decorations people add ("alice2024!").
 * Letters and non-ASCII symbols (emoji...) do count.
 */
const FILLER = /[\p{N}\p{P}\p{Z}\p{C}\s$+<=>^`|~]/u;

/**
 * Rule: fold the password (see `foldForComparison`), then remove every
 * occurrence of every user-info token (longest first; each occurrence is
 * replaced by a space so that removals never glue new tokens together).
 * If at least one token was found and fewer than USER_INFO_MIN_REMAINDER (4)
 * code points of "something else" remain (digits, punctuation, spaces and
 * ASCII symbols do not count, see FILLER), the password is rejected.
 *
 * So "alicemartin", "Alice Martin 2024", "martin123!", "alice.martin1" and
 * "alice.martin@example.com" are rejected, while
 * "blue-ocean-alice-sings-loudly" passes: it contains the name, but is much
 * more than it.
 */
export function containsUserInfo(password: string, user?: PasswordUserContext | null): boolean {
  const tokens = userInfoTokens(user);
  if (tokens.length === 0) return false;
  let rest = foldForComparison(password);
  let found = false;
  for (const token of tokens) {
    if (rest.includes(token)) {
      found = true;
      rest = rest.split(token).join(' ');
    }
  }
  if (!found) return false;
  let remainder = 0;
  for (const ch of rest) {
    if (!FILLER.test(ch) && ++remainder >= USER_INFO_MIN_REMAINDER) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Rules (single source of truth)
// ---------------------------------------------------------------------------

function fail(code: PasswordProblemCode, minLength: number): PasswordRulesResult {
  return { ok: false, code, message: passwordProblemMessage(code, minLength) };
}

/**
 * Rules only (no zxcvbn): cheap enough for the server before hashing.
 * Throws RangeError only for an invalid `options.minLength`.
 */
export function checkPasswordRules(
  password: string,
  user?: PasswordUserContext,
  options?: PasswordPolicyOptions,
): PasswordRulesResult {
  const minLength = resolveMinLength(options);
  const normalized = normalizePassword(String(password));
  const length = codePointCount(normalized);
  if (length < minLength) return fail('PASSWORD_TOO_SHORT', minLength);
  if (length > PASSWORD_MAX_LENGTH) return fail('PASSWORD_TOO_LONG', minLength);
  if (getCommonPasswords().has(normalized.toLowerCase())) return fail('PASSWORD_TOO_COMMON', minLength);
  if (containsUserInfo(normalized, user)) return fail('PASSWORD_CONTAINS_USER_INFO', minLength);
  return { ok: true };
}

// ---------------------------------------------------------------------------
// Strength meter (zxcvbn-ts v4)
// ---------------------------------------------------------------------------

let zxcvbn: ZxcvbnFactory | undefined;

function getZxcvbn(): ZxcvbnFactory {
  if (!zxcvbn) {
    zxcvbn = new ZxcvbnFactory({
      translations: enTranslations,
      graphs: commonGraphs,
      dictionary: { ...commonDictionary, ...enDictionary },
      // Levenshtein matching costs ~100-200 ms per check; not worth it for a meter.
      useLevenshteinDistance: false,
      // The default (100) makes l33t-heavy passwords take up to ~0.8 s;
      // 8 keeps the worst case of a 128-char password under ~100 ms while
      // still catching ordinary l33t ("P@ssw0rd!").
      l33tMaxSubstitutions: 8,
    });
  }
  return zxcvbn;
}

const MAX_FEEDBACK_ITEMS = 3;

function strength(normalized: string, user?: PasswordUserContext): { score: PasswordScore; feedback: string[] } {
  try {
    const result = getZxcvbn().check(normalized, userInfoTokens(user));
    const feedback: string[] = [];
    for (const item of [result.feedback.warning, ...result.feedback.suggestions]) {
      if (item && !feedback.includes(item)) feedback.push(item);
    }
    return { score: result.score, feedback: feedback.slice(0, MAX_FEEDBACK_ITEMS) };
  } catch {
    // The meter is informational; never let it break sign-up.
    return { score: 0, feedback: [] };
  }
}

/**
 * Rules plus zxcvbn score/feedback for a strength meter. `ok`, `code` and
 * `message` come from `checkPasswordRules`; the score never changes them.
 * Throws RangeError only for an invalid `options.minLength`.
 */
export function assessPassword(
  password: string,
  user?: PasswordUserContext,
  options?: PasswordPolicyOptions,
): PasswordAssessment {
  const rules = checkPasswordRules(password, user, options);
  const normalized = normalizePassword(String(password));
  const length = codePointCount(normalized);

  // Too long: skip zxcvbn (arbitrarily long input, and the password is refused anyway).
  const { score, feedback } =
    !rules.ok && rules.code === 'PASSWORD_TOO_LONG' ? { score: 0 as const, feedback: [] } : strength(normalized, user);

  if (!rules.ok) {
    return { ok: false, code: rules.code, message: rules.message, score: 0, length, feedback };
  }
  return { ok: true, score, length, feedback };
}
