/**
 * Better Auth's signed cookies, read and written as its HTTP layer (better-call) does, without
 * its asynchronous webcrypto: the session cookie is checked on every API request and written by
 * the sign-in fast path. Parsing and serialising are better-call's own functions (pinned to the
 * version Better Auth uses, see docs/decisions/008-sign-in-throughput.md); only the HMAC is
 * computed here, with node:crypto, as better-call computes it: base64 HMAC-SHA256 of the value
 * under the auth secret. test/integration/better-auth-compat.test.ts asks Better Auth the same
 * questions.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { parseCookies, serializeCookie } from "better-call";

export type CookieAttributes = Parameters<typeof serializeCookie>[2];

const signatureOf = (value: string, secret: string) => createHmac("sha256", secret).update(value).digest();

/** A base64 HMAC-SHA256 (32 bytes) as better-call writes it and accepts it: 43 characters and one `=`. */
const SIGNATURE_FORMAT = /^[A-Za-z0-9+/]{43}=$/;

/** `Set-Cookie` of `value` signed with `secret`, as better-call's `setSignedCookie` writes it. */
export function signedSetCookie(name: string, value: string, secret: string, attributes: CookieAttributes): string {
  return serializeCookie(name, `${value}.${signatureOf(value, secret).toString("base64")}`, attributes);
}

/**
 * The value of a signed cookie value (`value.signature`, already URI-decoded) whose signature is
 * right, else null: better-call's `getSignedCookie`, in constant time.
 */
export function verifySignedValue(signed: string, secret: string): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot < 1) return null;
  const value = signed.slice(0, dot);
  const signature = signed.slice(dot + 1);
  if (!SIGNATURE_FORMAT.test(signature)) return null;
  const given = Buffer.from(signature, "base64");
  const expected = signatureOf(value, secret);
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
}

/** The cookie called `name` in a Cookie header as better-call reads it (the first one, URI-decoded), or null. */
export function readCookie(header: string | undefined | null, name: string): string | null {
  if (!header) return null;
  return parseCookies(header).get(name) || null;
}

/** A Cookie header without the cookies named in `names` (null when none is left). */
export function withoutCookies(header: string, names: ReadonlySet<string>): string | null {
  const kept = header
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part && !names.has(part.slice(0, part.indexOf("=")).trim()));
  return kept.length ? kept.join("; ") : null;
}

/** The value a `Set-Cookie` line gives the cookie `name` (URI-decoded), or null for another cookie. */
export function setCookieValue(line: string, name: string): string | null {
  const [pair] = line.split(";");
  const eq = pair!.indexOf("=");
  if (eq < 0 || pair!.slice(0, eq).trim() !== name) return null;
  const raw = pair!.slice(eq + 1).trim();
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
