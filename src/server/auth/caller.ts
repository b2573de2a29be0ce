import type { Context, MiddlewareHandler, Next } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { CLIENT_IP_HEADER } from "../http/client-ip-header.ts";
import { ApiError } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import type { CallerEnv } from "../http/env.ts";
import type { AccessTokenVerifier } from "../tokens/access-token-verifier.ts";
import type { UserEvents } from "../account/user-events.ts";
import type { Auth } from "./auth.ts";
import { isBannedNow } from "./ban.ts";
import type { SessionRules } from "./better-auth/session.ts";

/**
 * Who is calling /api/v1/*: a browser session cookie or a bearer access JWT (never a refresh
 * token, ASVS 9.2.2). This is the hot path, so it does not go through `auth.api.getSession`
 * (~0.03x of bare Hono, see shared notes) but keeps Better Auth's session semantics exactly:
 *
 * - the cookie and its signature are read as Better Auth reads them (auth/better-auth/session.ts);
 * - session expiry, the absolute cap, and banned users, checked on every request;
 * - sliding expiry: when Better Auth would refresh the session (older than `updateAge`), the
 *   request falls back to `auth.api.getSession`, which updates the row and re-sets the cookie;
 * - with FAST_PATHS=off every cookie goes to `auth.api.getSession` (Better Auth's own code);
 * - revocation: rows are cached for at most `cacheTtlMs`, and sign-out, revoke, ban, password
 *   reset and delete drop a user's entries at once (`userEvents.changed`); bearer tokens issued before
 *   the user's access-token cutoff (password change, reset, sign out everywhere, ban) are refused.
 */
export interface Caller {
  userId: string;
  via: "session" | "bearer";
  sessionId?: string;
  user: CallerUser;
}

export interface CallerUser {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  role: string;
  createdAt: string;
  /** An anonymous reader (Better Auth's anonymous plugin): can chat, has no email or password. */
  isAnonymous: boolean;
}

interface CachedSession {
  sessionId: string;
  userId: string;
  expiresAt: number;
  createdAt: number;
  updatedAt: number;
  cachedAt: number;
}

interface CachedUser {
  user: CallerUser;
  banned: boolean;
  banExpires: number | null;
  /** Access tokens issued before this (epoch ms) are refused (tokens/access-token-cutoff.ts). */
  tokensNotBefore: number;
  cachedAt: number;
}

export interface CallerResolverOptions {
  db: Kysely<Database>;
  /** Its caches drop a user's entries on every `changed` (account/user-events.ts). */
  userEvents: UserEvents;
  auth: Auth;
  /** Better Auth's session cookie, expiry and refresh rules (auth/better-auth/session.ts). */
  session: SessionRules;
  /** false (FAST_PATHS=off): a session cookie is always judged by Better Auth's `getSession`. */
  fastPaths: boolean;
  verifier: AccessTokenVerifier;
  absoluteSessionMs: number;
  cacheTtlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * A cache entry taken at `at` is fresh for `ttl` ms, and not at all once the clock reads earlier
 * than `at`: set back (NTP step, a VM resumed), "now - at" is negative and looked fresh until the
 * clock caught up again, hours later, keeping a revoked session or a ban unseen.
 */
export const isFresh = (at: number, now: number, ttl: number) => now >= at && now - at < ttl;

const toMs = (v: Date | string | number | null | undefined): number | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === "number" ? v : new Date(v).getTime();

export function createCallerResolver(options: CallerResolverOptions) {
  const { db, auth, session: rules } = options;
  const now = options.now ?? (() => Date.now()); // read at call time (test clocks, clock changes)
  const ttl = options.cacheTtlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 50_000;
  const sessions = new Map<string, CachedSession>();
  const users = new Map<string, CachedUser>();
  /** Signed cookie value -> token, for values whose signature checked out (a pure function of value and secret). */
  const unsigned = new Map<string, string>();

  function bounded<K, V>(map: Map<K, V>, key: K, value: V) {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }

  /** The session token of the request's signed session cookie, or null (none, or a bad signature). */
  function sessionToken(cookieHeader: string | undefined): string | null {
    const signed = rules.signedCookie(cookieHeader);
    if (!signed) return null;
    const known = unsigned.get(signed);
    if (known !== undefined) return known;
    const token = rules.verify(signed);
    if (token) bounded(unsigned, signed, token);
    return token;
  }

  /** Still open at `t`: before its expiry (Better Auth's rule) and within the absolute cap (ours). */
  const isOpen = (s: { expiresAt: number; createdAt: number }, t: number) =>
    !rules.isExpired(s.expiresAt, t) && t - s.createdAt <= options.absoluteSessionMs;

  /** Whether Better Auth would slide this session now; one held at its absolute cap cannot slide further. */
  const slides = (s: { expiresAt: number; createdAt: number }, t: number) =>
    s.expiresAt < s.createdAt + options.absoluteSessionMs && rules.wouldRefresh(s.expiresAt, t);

  /** The cached profile while it is fresh (no promise: the hot path), else undefined. */
  function freshUser(userId: string): CachedUser | undefined {
    const cached = users.get(userId);
    return cached && isFresh(cached.cachedAt, now(), ttl) ? cached : undefined;
  }

  async function loadUser(userId: string): Promise<CachedUser | null> {
    const cached = freshUser(userId);
    if (cached) return cached;
    const row = await db
      .selectFrom("user")
      .leftJoin("access_token_cutoff", "access_token_cutoff.user_id", "user.id")
      .select(["id", "name", "email", "emailVerified", "image", "role", "createdAt", "banned", "banExpires", "isAnonymous", "not_before"])
      .where("id", "=", userId)
      .executeTakeFirst();
    if (!row) {
      users.delete(userId);
      return null;
    }
    const entry: CachedUser = {
      user: {
        id: row.id,
        name: row.name,
        email: row.email,
        emailVerified: Boolean(row.emailVerified),
        image: row.image,
        role: row.role ?? "user",
        createdAt: new Date(toMs(row.createdAt) ?? 0).toISOString(),
        isAnonymous: Boolean(row.isAnonymous),
      },
      banned: Boolean(row.banned),
      banExpires: toMs(row.banExpires),
      tokensNotBefore: row.not_before ?? 0,
      cachedAt: now(),
    };
    bounded(users, userId, entry);
    return entry;
  }

  const isBanned = (u: CachedUser) => isBannedNow(u, now());

  /**
   * Cookie callers whose session and user rows are cached and fresh, and whose session needs no
   * sliding refresh, are answered synchronously: the same checks as `fromSessionCookie`, with no
   * promise. Everything else (`undefined`) takes the full path.
   */
  function fromSessionCookieCached(token: string): Caller | null | undefined {
    const s = sessions.get(token);
    if (!s || !isFresh(s.cachedAt, now(), ttl)) return undefined;
    const t = now();
    if (!isOpen(s, t)) return null;
    if (slides(s, t)) return undefined;
    const u = freshUser(s.userId);
    if (!u) return undefined;
    if (isBanned(u)) return null;
    return { userId: s.userId, via: "session", sessionId: s.sessionId, user: u.user };
  }

  async function fromSessionCookie(c: Context, token: string): Promise<Caller | null> {
    let s = sessions.get(token);
    if (!s || !isFresh(s.cachedAt, now(), ttl)) {
      const row = await db
        .selectFrom("session")
        .select(["id", "userId", "expiresAt", "createdAt", "updatedAt"])
        .where("token", "=", token)
        .executeTakeFirst();
      if (!row) {
        sessions.delete(token);
        return null;
      }
      s = {
        sessionId: row.id,
        userId: row.userId,
        expiresAt: toMs(row.expiresAt)!,
        createdAt: toMs(row.createdAt)!,
        updatedAt: toMs(row.updatedAt)!,
        cachedAt: now(),
      };
      bounded(sessions, token, s);
    }
    const t = now();
    if (!isOpen(s, t)) return null;
    // Due for a slide: Better Auth's getSession moves the expiry and sets the cookie.
    if (slides(s, t)) {
      sessions.delete(token);
      return fromBetterAuth(c);
    }
    const u = await loadUser(s.userId);
    if (!u || isBanned(u)) return null;
    return { userId: s.userId, via: "session", sessionId: s.sessionId, user: u.user };
  }

  /** The caller as Better Auth's `getSession` sees the request (it may slide the session and set its cookie). */
  async function fromBetterAuth(c: Context): Promise<Caller | null> {
    // The edge sets Better Auth's client-IP header only under /api/auth: give it here too.
    const ip = currentRequest()?.ip;
    if (ip) c.req.raw.headers.set(CLIENT_IP_HEADER, ip);
    const result = await auth.api.getSession({ headers: c.req.raw.headers, returnHeaders: true });
    for (const line of result.headers?.getSetCookie() ?? []) c.header("Set-Cookie", line, { append: true });
    if (!result.response) return null;
    const u = await loadUser(result.response.user.id);
    if (!u || isBanned(u)) return null;
    const { session } = result.response;
    if (!isOpen({ expiresAt: toMs(session.expiresAt)!, createdAt: toMs(session.createdAt)! }, now())) return null;
    return { userId: u.user.id, via: "session", sessionId: session.id, user: u.user };
  }

  /** A token verified before and a fresh cached user: answered without a promise. */
  function fromBearerCached(token: string): Caller | null | undefined {
    const result = options.verifier.verifyCached(token);
    if (!result) return undefined;
    if (!result.ok) return null;
    const u = freshUser(result.claims.sub);
    if (!u) return undefined;
    if (isBanned(u) || result.claims.issuedAtMs < u.tokensNotBefore) return null;
    return { userId: u.user.id, via: "bearer", user: u.user };
  }

  async function fromBearer(token: string): Promise<Caller | null> {
    const result = await options.verifier.verify(token);
    if (!result.ok) return null;
    const u = await loadUser(result.claims.sub);
    // Issued before a password change, a reset, "sign out everywhere" or a ban: refused (ASVS 7.4.1).
    if (!u || isBanned(u) || result.claims.issuedAtMs < u.tokensNotBefore) return null;
    // Authorisation uses the role as stored now, not as minted (ASVS 8.3.2).
    return { userId: u.user.id, via: "bearer", user: u.user };
  }

  /** Who is calling: synchronously when everything needed is cached (most requests), else a promise. */
  function resolveNow(c: Context): Caller | null | Promise<Caller | null> {
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const token = bearerToken(authorization);
      if (!token) return null;
      const cached = fromBearerCached(token);
      return cached !== undefined ? cached : fromBearer(token);
    }
    const cookieHeader = c.req.header("cookie");
    if (!options.fastPaths) return cookieHeader ? fromBetterAuth(c) : null;
    const token = sessionToken(cookieHeader);
    if (!token) return null;
    const cached = fromSessionCookieCached(token);
    return cached !== undefined ? cached : fromSessionCookie(c, token);
  }

  async function resolve(c: Context): Promise<Caller | null> {
    return resolveNow(c);
  }

  /** Drop cached state for a user: their sessions and profile are re-read on next use. */
  function forgetUser(userId: string) {
    users.delete(userId);
    for (const [token, s] of sessions) if (s.userId === userId) sessions.delete(token);
  }
  options.userEvents.subscribe(forgetUser);

  function admit(c: Context, next: Next, caller: Caller | null) {
    if (!caller) {
      c.header("WWW-Authenticate", 'Bearer realm="api"');
      throw new ApiError(401, "UNAUTHORIZED", "Sign in, or send a valid access token.");
    }
    c.set("caller", caller);
    return next();
  }

  function requireCaller(): MiddlewareHandler<CallerEnv> {
    // Not async: a cached caller goes straight on, without a promise of its own.
    return function requireCallerMiddleware(c, next) {
      const caller = resolveNow(c);
      return caller instanceof Promise ? caller.then((found) => admit(c, next, found)) : admit(c, next, caller);
    };
  }

  /**
   * Whether the request carries a session cookie that no longer opens a session: a bad
   * signature, a deleted row (signed out elsewhere, a guest merged into an account on another
   * device, purged), or past its expiry or absolute cap. Read-only: no sliding refresh.
   */
  async function hasStaleSessionCookie(c: Context): Promise<boolean> {
    const header = c.req.header("cookie");
    if (!rules.signedCookie(header)) return false;
    if (!options.fastPaths) {
      const found = await auth.api.getSession({ headers: new Headers({ cookie: header! }), query: { disableRefresh: true } });
      return !found || !isOpen({ expiresAt: toMs(found.session.expiresAt)!, createdAt: toMs(found.session.createdAt)! }, now());
    }
    const token = sessionToken(header);
    if (!token) return true;
    const row = await db.selectFrom("session").select(["expiresAt", "createdAt"]).where("token", "=", token).executeTakeFirst();
    return !row || !isOpen({ expiresAt: toMs(row.expiresAt)!, createdAt: toMs(row.createdAt)! }, now());
  }

  return { resolve, requireCaller, hasStaleSessionCookie };
}

export type CallerResolver = ReturnType<typeof createCallerResolver>;

/**
 * The token of `Authorization: Bearer <token>` (scheme case-insensitive, surrounding spaces
 * allowed, nothing after the token), else null. What `/^Bearer (\S+)$/i` on the trimmed value
 * matched, without running a regular expression over a 400-character header on every request.
 */
export function bearerToken(header: string): string | null {
  const value = header.trim();
  if (value.length <= 7 || value.charCodeAt(6) !== 32 || value.slice(0, 6).toLowerCase() !== "bearer") return null;
  const token = value.slice(7);
  return /\s/.test(token) ? null : token;
}
