/**
 * Checks on untrusted text that no schema library makes for us.
 *
 * - NUL (U+0000) and unpaired UTF-16 surrogates are refused anywhere in a request body:
 *   PostgreSQL rejects NUL in text (a 500 if it reaches a query), and an unpaired surrogate is
 *   silently turned into U+FFFD on the way to the database or the password hash (two different
 *   inputs would become the same stored value).
 * - Display names: 1..100 code points, at least one visible character, no control characters
 *   and no bidirectional overrides/isolates (which let "Bob‮exe.txt" pose as another name).
 */

import { hasVisibleText } from "../../shared/text.ts";

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `s` holds NUL or an unpaired surrogate. */
export function isUnsafeText(s: string): boolean {
  return s.includes("\u0000") || LONE_SURROGATE.test(s);
}

/**
 * Walks a parsed JSON value (keys and string values, iteratively: no stack overflow on deep
 * nesting) and reports whether any string is unsafe text.
 */
export function containsUnsafeText(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (isUnsafeText(v)) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v && typeof v === "object") {
      for (const [k, item] of Object.entries(v)) {
        if (isUnsafeText(k)) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

/** RFC 5321 path limit: no deliverable address is longer. */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;

const FORBIDDEN_IN_NAME = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** null when `name` is acceptable as a display name, else a message saying why not. */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if ([...trimmed].length > MAX_NAME_LENGTH) return `Names can be at most ${MAX_NAME_LENGTH} characters long.`;
  if (FORBIDDEN_IN_NAME.test(trimmed)) return "Names cannot contain control or text-direction characters.";
  if (!hasVisibleText(trimmed)) return "Enter a name with at least one visible character.";
  return null;
}
