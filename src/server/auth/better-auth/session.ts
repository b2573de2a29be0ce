/**
 * Better Auth's session rules as our own paths need them (the caller check on every API request,
 * the sign-in fast path, stale-cookie removal), read from Better Auth's context at start: the
 * cookie's name and attributes, `expiresIn`, `updateAge` and the signing secret are the values
 * Better Auth itself uses, never restated. test/integration/better-auth-compat.test.ts checks
 * each rule against Better Auth's own `getSession`.
 */
import { readCookie, setCookieValue, signedSetCookie, verifySignedValue } from "./cookies.ts";

/** The part of `auth.$context` these rules are read from. */
export interface SessionContext {
  secret: string;
  sessionConfig: { expiresIn: number; updateAge: number };
  authCookies: {
    sessionToken: { name: string; attributes: object };
    sessionData: { name: string };
    dontRememberToken: { name: string };
  };
  options: { session?: object };
}

export interface SessionRules {
  /** The session cookie's name (`__Secure-` prefixed over https). */
  cookieName: string;
  /** Every cookie that belongs to a session: token, cached session data, "don't remember me". */
  cookieNames: ReadonlySet<string>;
  expiresInMs: number;
  updateAgeMs: number;
  /** The session cookie's signed value in a Cookie header (the first, as Better Auth reads it), or null. */
  signedCookie(header: string | undefined | null): string | null;
  /** The session token of a signed value whose signature is right; null for a forged one. */
  verify(signed: string): string | null;
  /** Whether `getSession` would slide this session's expiry now (and so write the row and the cookie). */
  wouldRefresh(expiresAt: number, now: number): boolean;
  /** Whether a session with this expiry is over at `now`, as `getSession` judges it. */
  isExpired(expiresAt: number, now: number): boolean;
  /** The `Set-Cookie` Better Auth answers a new session with. */
  setCookie(token: string): string;
  /** The session token a `Set-Cookie` line sets, or null for another cookie or a cleared one. */
  tokenFromSetCookie(line: string): string | null;
}

export function sessionRules(ctx: SessionContext): SessionRules {
  const { sessionToken, sessionData, dontRememberToken } = ctx.authCookies;
  const expiresInMs = ctx.sessionConfig.expiresIn * 1000;
  const updateAgeMs = ctx.sessionConfig.updateAge * 1000;
  const refreshes = !(ctx.options.session as { disableSessionRefresh?: boolean } | undefined)?.disableSessionRefresh;
  return {
    cookieName: sessionToken.name,
    cookieNames: new Set([sessionToken.name, sessionData.name, dontRememberToken.name]),
    expiresInMs,
    updateAgeMs,
    signedCookie: (header) => readCookie(header, sessionToken.name),
    verify: (signed) => verifySignedValue(signed, ctx.secret),
    // session.expiresAt - expiresIn + updateAge <= now (Better Auth's /get-session).
    wouldRefresh: (expiresAt, now) => refreshes && expiresAt - expiresInMs + updateAgeMs <= now,
    isExpired: (expiresAt, now) => expiresAt < now,
    setCookie: (token) =>
      signedSetCookie(sessionToken.name, token, ctx.secret, { ...sessionToken.attributes, maxAge: ctx.sessionConfig.expiresIn }),
    tokenFromSetCookie(line) {
      const signed = setCookieValue(line, sessionToken.name);
      if (!signed) return null;
      const dot = signed.lastIndexOf(".");
      return dot > 0 ? signed.slice(0, dot) : null;
    },
  };
}
