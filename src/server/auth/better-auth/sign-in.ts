import type { BetterAuthPlugin } from "better-auth";
import { sql } from "kysely";
import { cappedExpiry } from "../plugins/session-cap.ts";
import { z } from "zod";
import type { Logger } from "pino";
import type { Auth } from "../auth.ts";
import type { Db } from "../../db/index.ts";
import type { CredentialUser, Credentials } from "../credentials.ts";
import { BASE_ERROR_CODES, generateId, getAuthTables, getIP } from "./internals.ts";
import { sessionRules, type SessionRules } from "./session.ts";

/**
 * `POST /api/auth/sign-in/email`, the plain case, without Better Auth's endpoint machinery.
 *
 * A sign-in should cost its password hash and little else (sign-ins >= 0.8 x the hash-only
 * limit, docs/decisions/008-sign-in-throughput.md). Through Better Auth each one also paid
 * about 2 ms of JavaScript on top of the 8 ms hash: endpoint context, body validation, hook pipeline, the anonymous plugin's
 * session lookup, adapter machinery, webcrypto for one HMAC. Here the same steps run directly,
 * with Better Auth's parts wherever they carry meaning: its IP rule, its user schema, its error
 * codes, its id format; the session row is written as its `createSession` writes it, with the
 * database hooks this configuration has (the admin plugin's ban check, inside the insert; our
 * absolute cap). The answer, cookie and session row are the ones Better Auth would give:
 * test/integration/sign-in-fast-path.test.ts compares the two side by side.
 *
 * Only the plain case comes here; anything else returns `null` before any password work, and
 * Better Auth answers as before:
 * - a request carrying cookies (an anonymous reader's session to link, an origin check that
 *   depends on cookies, a "don't remember me" cookie);
 * - a body with anything but `email`, `password` and `rememberMe: true` (a callbackURL to check);
 * - an Origin that is not exactly one of ours, a Referer without Origin, any Fetch Metadata that
 *   Better Auth would look at (a cross-site navigation);
 * - a malformed email or an over-long password (Better Auth's own 400s);
 * - a banned account, or an unverified one when verification is required, once the password is
 *   known to be right (Better Auth's 403s, with the fresh verification mail; a wrong password is
 *   answered here, as for any other account, so the time does not tell the account's state).
 * docs/decisions/008-sign-in-throughput.md
 */
export interface PasswordSignIn {
  /** The response and, on success, the user; `null`: not the plain case, let Better Auth answer. */
  attempt(request: Request, body: Record<string, unknown>): Promise<{ response: Response; userId: string | null } | null>;
}

type AuthContext = Awaited<Auth["$context"]>;
type UserField = [string, { type: unknown; fieldName?: string; returned?: boolean }];
interface Setup {
  ctx: AuthContext;
  /** Our one-statement session insert (else Better Auth's createSession). */
  ownSessions: boolean;
  userFields: UserField[];
  hiddenUserFields: string[];
  session: SessionRules;
}

const ALLOWED_KEYS = new Set(["email", "password", "rememberMe"]);
const emailFormat = z.email();

export function createPasswordSignIn(
  auth: Auth,
  db: Db,
  credentials: Credentials,
  logger: Logger,
  options: { absoluteSessionMs: number },
): PasswordSignIn {
  /** What the configuration decides, worked out once: null when the path is off. */
  let ready: Promise<Setup | null> | undefined;
  const setup = () =>
    (ready ??= auth.$context.then((ctx) => {
      if (!onlyKnownHooks(ctx, logger)) return null;
      const userFields = Object.entries(getAuthTables(ctx.options).user!.fields) as UserField[];
      return {
        ctx,
        ownSessions: onlyKnownSessionHooks(ctx),
        userFields,
        hiddenUserFields: userFields.filter(([, field]) => field.returned === false).map(([key]) => key),
        session: sessionRules(ctx),
      };
    }));

  /** `parseUserOutput`: the user without the fields its schema keeps out of answers (returned: false). */
  function withoutHiddenFields({ hiddenUserFields }: Setup, user: Record<string, unknown>) {
    const out = { ...user };
    for (const key of hiddenUserFields) delete out[key];
    return out;
  }

  /**
   * `internalAdapter.createSession(userId, false, { ipAddress, userAgent })` with the database
   * hooks this configuration has (onlyKnownSessionHooks): the admin plugin's ban check, made part
   * of the insert itself (no row if the user is banned by now), and our absolute cap. Better
   * Auth's ids and token (32 characters, a-z A-Z 0-9), its expiry, its column values.
   */
  async function insertSession(ctx: AuthContext, userId: string, ipAddress: string, userAgent: string) {
    const createdAt = new Date();
    const expiresAt = cappedExpiry(createdAt, new Date(createdAt.getTime() + ctx.sessionConfig.expiresIn * 1000), options.absoluteSessionMs);
    const session = { id: generateId(32), token: generateId(32), userId, expiresAt, createdAt, updatedAt: createdAt, ipAddress, userAgent };
    const date = (d: Date) => (db.kind === "sqlite" ? d.toISOString() : d);
    const notBanned = db.kind === "sqlite" ? sql`coalesce("banned", 0) = 0` : sql`coalesce("banned", false) = false`;
    const at = db.kind === "sqlite" ? (d: Date) => sql`${date(d)}` : (d: Date) => sql`${d}::timestamptz`;
    const result = await sql`
      insert into "session" ("id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent")
      select ${session.id}, ${session.token}, "id", ${at(expiresAt)}, ${at(createdAt)}, ${at(createdAt)}, ${ipAddress}, ${userAgent}
      from "user" where "id" = ${userId} and ${notBanned}`.execute(db.kysely);
    return Number(result.numAffectedRows ?? 0n) === 1 ? session : ("banned" as const);
  }

  /**
   * The user as Better Auth's adapter shapes it (SQLite's 0/1 and ISO strings become booleans
   * and Dates), from the row our credential check read in one query: through Better Auth's
   * adapter the same lookup (`findUserByEmail` with its accounts) cost more than a whole
   * sign-in's other queries together (debug formatting, join post-processing).
   */
  function shapedUser({ userFields }: Setup, row: CredentialUser) {
    const raw = row as unknown as Record<string, unknown>;
    const user: Record<string, unknown> = { id: String(raw.id) };
    for (const [key, field] of userFields) {
      let value = raw[field.fieldName ?? key];
      if (db.kind === "sqlite" && field.type === "date" && typeof value === "string") value = new Date(value);
      else if (db.kind === "sqlite" && field.type === "boolean" && typeof value === "number") value = value === 1;
      user[key] = value;
    }
    return user as { id: string; emailVerified: boolean; banned?: boolean | null; twoFactorEnabled?: boolean | null } & Record<string, unknown>;
  }

  return {
    async attempt(request, body) {
      const ready = await setup();
      if (!ready || !isPlain(ready.ctx, request, body)) return null;
      const { ctx } = ready;
      const email = body.email as string;
      const password = body.password as string;

      // An unknown email, a social-only account and a wrong password: the same answer in the same
      // time, whatever the account's state (ASVS 6.3.8; auth/credentials.ts). Banned and
      // unverified accounts used to go to Better Auth's full handler first, ~3 ms slower. Better
      // Auth, too, checks the password before either state.
      const found = await credentials.verify(email, password);
      if (!found.ok) return { response: apiError(401, "INVALID_EMAIL_OR_PASSWORD"), userId: null };
      const user = shapedUser(ready, found.user);
      // The right password: Better Auth gives its 403s (and the fresh verification mail), and
      // asks an account with a second factor for its code (its two-factor after-hook).
      if (user.banned || user.twoFactorEnabled) return null;
      if (ctx.options.emailAndPassword?.requireEmailVerification && !user.emailVerified) return null;

      const ipAddress = getIP(request.headers, ctx.options) || "";
      const userAgent = request.headers.get("user-agent") || "";
      const session = ready.ownSessions
        ? await insertSession(ctx, user.id, ipAddress, userAgent)
        : await ctx.internalAdapter.createSession(user.id, false, { ipAddress, userAgent });
      // Banned since we read the row (ours), or a hook said no (Better Auth's): its answer.
      if (session === "banned") return null;
      if (!session) return { response: apiError(401, "FAILED_TO_CREATE_SESSION"), userId: null };

      const cookie = ready.session.setCookie(session.token);
      const payload = { redirect: false, token: session.token, user: withoutHiddenFields(ready, user) };
      const response = new Response(JSON.stringify(payload), {
        status: 200,
        headers: { "content-type": "application/json", "set-cookie": cookie },
      });
      return { response, userId: user.id };
    },
  };
}

/** The request Better Auth would let through its origin and CSRF checks without looking further. */
function isPlain(ctx: AuthContext, request: Request, body: Record<string, unknown>): boolean {
  const h = request.headers;
  if (h.has("cookie")) return false;
  for (const key of Object.keys(body)) if (!ALLOWED_KEYS.has(key)) return false;
  if (typeof body.email !== "string" || typeof body.password !== "string") return false;
  if (body.rememberMe !== undefined && body.rememberMe !== true) return false;
  const maxLength = ctx.password.config.maxPasswordLength;
  if (body.password.length > maxLength || !emailFormat.safeParse(body.email).success) return false;

  const origin = h.get("origin");
  const fetchMetadata = h.has("sec-fetch-site") || h.has("sec-fetch-mode") || h.has("sec-fetch-dest");
  if (origin === null) return !fetchMetadata && !h.has("referer"); // an API client: Better Auth checks nothing
  if (h.get("sec-fetch-site") === "cross-site" && h.get("sec-fetch-mode") === "navigate") return false;
  return ctx.trustedOrigins.includes(origin);
}

/**
 * Hooks Better Auth would run around this route, by plugin. The anonymous plugin's after-hook
 * acts only on a request with a session cookie, which never comes here; the two-factor plugin's
 * acts only on an account with a second factor, which this path hands to Better Auth; our guest
 * hooks (plugins/guest-through-challenge.ts) act only on both: a guest's cookie and a challenge.
 * Anything else (a plugin added later, an upgrade that adds a hook) turns this path off rather
 * than skip it.
 */
const EXPECTED_HOOKS = new Set(["anonymous:after", "two-factor:after", "aibook-guest-through-challenge:before", "aibook-guest-through-challenge:after"]);

function onlyKnownHooks(ctx: AuthContext, logger: Logger): boolean {
  const found: string[] = [];
  const probe = { path: "/sign-in/email", method: "POST", context: ctx, headers: new Headers(), body: {} };
  const matches = (matcher: (c: never) => boolean) => {
    try {
      return matcher(probe as never);
    } catch {
      return true; // cannot tell: assume it would run
    }
  };
  const options = ctx.options as { hooks?: { before?: unknown; after?: unknown } };
  if (options.hooks?.before || options.hooks?.after) found.push("options:hooks");
  for (const plugin of (ctx.options.plugins ?? []) as BetterAuthPlugin[]) {
    if (plugin.onRequest) found.push(`${plugin.id}:onRequest`);
    if (plugin.onResponse) found.push(`${plugin.id}:onResponse`);
    for (const when of ["before", "after"] as const) {
      for (const hook of plugin.hooks?.[when] ?? []) if (matches(hook.matcher)) found.push(`${plugin.id}:${when}`);
    }
  }
  const unexpected = found.filter((h) => !EXPECTED_HOOKS.has(h));
  if (unexpected.length) logger.warn({ hooks: unexpected }, "sign-in fast path off: Better Auth would run hooks it does not know");
  return unexpected.length === 0;
}

/**
 * The session hooks this configuration has: the admin plugin's ban check and our cap (both in
 * `insertSession`). The other plugins' `init` adds no database hook (jwt, anonymous: context only;
 * the password policy: the hash functions). Any other plugin with an `init`, a session hook in
 * the options, or a custom id generator: Better Auth creates the session.
 */
const PLUGINS_WITHOUT_SESSION_HOOKS = new Set(["jwt", "anonymous", "aibook-password-policy", "aibook-events", "admin", "aibook-session-cap"]);

function onlyKnownSessionHooks(ctx: AuthContext): boolean {
  const options = ctx.options as { databaseHooks?: { session?: { create?: unknown } }; advanced?: { generateId?: unknown; database?: { generateId?: unknown } } };
  if (options.databaseHooks?.session?.create) return false;
  if (options.advanced?.generateId !== undefined || options.advanced?.database?.generateId !== undefined) return false;
  if ((ctx.options as { secondaryStorage?: unknown }).secondaryStorage) return false;
  return ((ctx.options.plugins ?? []) as BetterAuthPlugin[]).every((p) => !p.init || PLUGINS_WITHOUT_SESSION_HOOKS.has(p.id));
}

function apiError(status: number, code: keyof typeof BASE_ERROR_CODES): Response {
  const { message } = BASE_ERROR_CODES[code];
  return new Response(JSON.stringify({ message, code }), {
    status,
    headers: { "content-type": "application/json" },
  });
}
