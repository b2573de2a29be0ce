import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler, Next } from "hono";
import { getCookie } from "hono/cookie";
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

/**
 * Who is calling /api/v1/*: a browser session cookie or a bearer access JWT (never a refresh
 * token, ASVS 9.2.2). This is the hot path, so it does not go through `auth.api.getSession`
 * (~0.03x of bare Hono, see shared notes) but keeps Better Auth's session semantics exactly:
 *
 * - cookie signature: HMAC-SHA256 over the token with the auth secret (node:crypto, constant time);
 * - session expiry, the absolute cap, and banned users, checked on every request;
 * - sliding expiry: when Better Auth would refresh the session (older than `updateAge`), the
 *   request falls back to `auth.api.getSession`, which updates the row and re-sets the cookie;
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
  secret: string;
  verifier: AccessTokenVerifier;
  secureCookies: boolean;
  sessionTtlMs: number;
  updateAgeMs: number;
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
  const { db, auth } = options;
  const now = options.now ?? (() => Date.now()); // read at call time (test clocks, clock changes)
  const ttl = options.cacheTtlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 50_000;
  const cookieName = `${options.secureCookies ? "__Secure-" : ""}better-auth.session_token`;
  const sessions = new Map<string, CachedSession>();
  const users = new Map<string, CachedUser>();
  /** Signed cookie value -> token, for values whose signature checked out (a pure function of value and secret). */
  const unsigned = new Map<string, string>();

  function bounded<K, V>(map: Map<K, V>, key: K, value: V) {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }

  /** `token.signature` as Better Auth (better-call) signs it: base64 HMAC-SHA256 with the secret. */
  function unsign(value: string): string | null {
    const known = unsigned.get(value);
    if (known !== undefined) return known;
    const dot = value.lastIndexOf(".");
    if (dot < 1) return null;
    const token = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), "base64");
    const expected = createHmac("sha256", options.secret).update(token).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    bounded(unsigned, value, token);
    return token;
  }

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
    if (s.expiresAt <= t || t - s.createdAt > options.absoluteSessionMs) return null;
    const atCap = s.expiresAt >= s.createdAt + options.absoluteSessionMs;
    if (!atCap && s.expiresAt - options.sessionTtlMs + options.updateAgeMs <= t) return undefined;
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
    if (s.expiresAt <= t || t - s.createdAt > options.absoluteSessionMs) return null;
    // Better Auth refreshes when expiresAt - expiresIn + updateAge <= now: let it do so (and set the cookie).
    // A session already held at its absolute cap cannot slide further: no point in the slow path.
    const atCap = s.expiresAt >= s.createdAt + options.absoluteSessionMs;
    if (!atCap && s.expiresAt - options.sessionTtlMs + options.updateAgeMs <= t) {
      sessions.delete(token);
      // The edge sets Better Auth's client-IP header only under /api/auth: give it here too.
      const ip = currentRequest()?.ip;
      if (ip) c.req.raw.headers.set(CLIENT_IP_HEADER, ip);
      const result = await auth.api.getSession({ headers: c.req.raw.headers, returnHeaders: true });
      const setCookie = result.headers?.get("set-cookie");
      if (setCookie) c.header("Set-Cookie", setCookie, { append: true });
      if (!result.response) return null;
      const u = await loadUser(result.response.user.id);
      if (!u || isBanned(u)) return null;
      return { userId: u.user.id, via: "session", sessionId: result.response.session.id, user: u.user };
    }
    const u = await loadUser(s.userId);
    if (!u || isBanned(u)) return null;
    return { userId: s.userId, via: "session", sessionId: s.sessionId, user: u.user };
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
    const raw = getCookie(c, cookieName);
    if (!raw) return null;
    const token = unsign(raw);
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
    // The first cookie of that name, as Better Auth (better-call) reads it; Hono's getCookie
    // skips a malformed one and would judge the next instead.
    const raw = firstCookie(c.req.header("cookie") ?? "", cookieName);
    if (raw === null) return false;
    const token = unsign(raw);
    if (!token) return true;
    const row = await db.selectFrom("session").select(["expiresAt", "createdAt"]).where("token", "=", token).executeTakeFirst();
    if (!row) return true;
    const t = now();
    return toMs(row.expiresAt)! <= t || t - toMs(row.createdAt)! > options.absoluteSessionMs;
  }

  return { resolve, requireCaller, hasStaleSessionCookie };
}

export type CallerResolver = ReturnType<typeof createCallerResolver>;

/** The value of the first cookie called `name` in a Cookie header (URI-decoded), or null. */
export function firstCookie(header: string, name: string): string | null {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return null;
}

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
