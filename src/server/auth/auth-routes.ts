import { createHash, randomBytes } from "node:crypto";
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { Services } from "../services.ts";
import { ApiError, defaultCode, errorBody } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import { serviceUnavailable } from "../db/unavailable.ts";
import { RULES } from "../rate-limit/rules.ts";
import type { RateRule } from "../rate-limit/rate-limiter.ts";
import { displayNameProblem, isUnsafeText, MAX_EMAIL_LENGTH } from "../http/text-input.ts";
import { readBody, requestWithBody as requestForBetterAuth, unsafeTextError } from "../http/body.ts";
import { verifyPassword } from "./password-hash.ts";
import { decodeJwt } from "jose";
import { createLinkBinding } from "./link-binding.ts";
import { VERIFY_EMAIL_TTL_SECONDS } from "./auth.ts";

/**
 * Better Auth's routes, unchanged in shape, with what Better Auth lacks put in front:
 * per-IP limits keyed on the real client IP, per-account sign-in throttling, per-address
 * mail limits, single-use verification links, reset requests answered before any work,
 * and one error shape ({ code, message }) for every failure.
 */
const emailBody = z.object({ email: z.string().max(320) }).loose();

/**
 * The JSON object of a POST, or null when it has no body: read once per request by the one body
 * reader (http/body.ts), which gives Better Auth a request rebuilt from the same text.
 */
async function readJson(c: Context): Promise<Record<string, unknown> | null> {
  return ((await readBody(c, { optional: true, object: true })) ?? null) as Record<string, unknown> | null;
}

/** Field checks Better Auth does not make, on every JSON body it receives through us. */
function checkFields(path: string, body: Record<string, unknown>) {
  for (const key of ["email", "newEmail"]) {
    const v = body[key];
    if (typeof v === "string" && v.length > MAX_EMAIL_LENGTH) throw new ApiError(400, "INVALID_EMAIL", "Enter a valid email address.");
  }
  if (!path.endsWith("/sign-up/email") && !path.endsWith("/update-user")) return;
  if ("name" in body) {
    // Better Auth's update-user takes any JSON here: {"name":{}} was a 500 (SQLite) or stored "{}" (PostgreSQL).
    if (typeof body.name !== "string") throw new ApiError(400, "INVALID_NAME", "name must be a string.");
    const problem = displayNameProblem(body.name);
    if (problem) throw new ApiError(400, "INVALID_NAME", problem);
  }
  if ("image" in body && body.image !== null && body.image !== undefined && !isHttpUrl(body.image)) {
    throw new ApiError(400, "INVALID_IMAGE", "image must be an http(s) URL of at most 2048 characters, or null.");
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string" || value.length > 2048) return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

/**
 * Routes with a stricter per-IP rule on top of RULES.auth (POST). Anonymous readers are
 * accounts too (rows, sessions): one IP makes them no faster than sign-ups.
 */
const STRICTER_RULES: Record<string, RateRule> = {
  "/api/auth/sign-in/email": RULES.signIn,
  "/api/auth/sign-in/anonymous": RULES.signUp,
  "/api/auth/sign-up/email": RULES.signUp,
  "/api/auth/send-verification-email": RULES.mail,
  "/api/auth/request-password-reset": RULES.mail,
  "/api/auth/forget-password": RULES.mail,
};

/** The shortest time a sign-up is answered in, whether the address is new or taken. */
const SIGN_UP_MIN_MS = 40;

/** Routes where Better Auth may start a session (and its anonymous plugin looks for one to link). */
const SIGNS_IN = /^\/api\/auth\/(sign-in\/|sign-up\/|callback\/|verify-email$)/;

export function authRoutes(s: Services) {
  const app = new Hono();
  const limit = (rule: (typeof RULES)[keyof typeof RULES], key: string) => s.limits.consume(rule, key);
  const binding = createLinkBinding({ secret: s.config.secret, secureCookies: s.config.secureCookies, maxAgeSeconds: VERIFY_EMAIL_TTL_SECONDS });

  /** Ours first; Better Auth's response is passed through with its errors given our shape. */
  async function forward(c: Context, request: Request = requestForBetterAuth(c)): Promise<Response> {
    const res = await s.auth.handler(request);
    // A mail this answer promises was not written (auth.ts queueMail): not a success, and an
    // account created without its verification mail is taken back (nothing half-made).
    const context = currentRequest();
    if (context?.mailNotQueued) {
      if (context.createdUserId) {
        const ctx = await s.auth.$context;
        await ctx.internalAdapter.deleteUser(context.createdUserId).catch((err: unknown) => {
          s.logger.error({ err: err instanceof Error ? err.message : String(err) }, "could not take back an account whose verification mail was not written");
        });
      }
      throw serviceUnavailable();
    }
    if (res.status < 400) return res;
    if (currentRequest()?.databaseUnavailable) throw serviceUnavailable();
    const type = res.headers.get("content-type") ?? "";
    let body: Record<string, unknown> | null = null;
    if (type.includes("application/json")) body = (await res.clone().json().catch(() => null)) as Record<string, unknown> | null;
    if (body && typeof body.code === "string" && typeof body.message === "string") return res;
    const headers = new Headers(res.headers);
    headers.set("content-type", "application/json; charset=UTF-8");
    headers.delete("content-length");
    const code = typeof body?.code === "string" ? body.code : defaultCode(res.status);
    const message =
      typeof body?.message === "string" ? body.message : res.status === 404 ? "No such route." : "The request could not be completed.";
    return new Response(JSON.stringify(errorBody(code, message)), { status: res.status, headers });
  }

  app.use("*", async (c, next) => {
    const ip = currentRequest()?.limitKey ?? "unknown";
    // The per-IP rule of every auth route and, where there is one, the stricter rule of this
    // route: counted together, one store write per request.
    const stricter = c.req.method === "POST" ? STRICTER_RULES[c.req.path] : undefined;
    await (stricter ? s.limits.consumeAll([RULES.auth, stricter], ip) : limit(RULES.auth, ip));
    // NUL in a query value reaches Better Auth's token lookups (PostgreSQL: a 500).
    if (Object.values(c.req.queries()).some((vs) => vs.some(isUnsafeText))) throw unsafeTextError();
    // Malformed JSON → 400 before Better Auth sees it. OAuth callbacks may be form posts (form_post).
    if (c.req.method === "POST" && !c.req.path.startsWith("/api/auth/callback/")) {
      const body = await readJson(c);
      if (body) checkFields(c.req.path, body);
    }
    if (SIGNS_IN.test(c.req.path)) await dropStaleSessionCookie(c);
    await next();
  });

  /**
   * A session cookie that no longer opens a session (the guest's, after its chats moved into the
   * account on another device; one signed out elsewhere) is taken off a sign-in request before
   * Better Auth sees it. Otherwise Better Auth's hooks, looking for a session to link, find it
   * dead and clear the session cookie in the very answer that sets the new one: the reader got
   * 200 and stayed signed out.
   */
  async function dropStaleSessionCookie(c: Context) {
    const header = c.req.header("cookie");
    if (!header || !(await s.callers.hasStaleSessionCookie(c))) return;
    const { sessionToken, sessionData, dontRememberToken } = (await s.auth.$context).authCookies;
    const stale = new Set([sessionToken.name, sessionData.name, dontRememberToken.name]);
    const kept = header
      .split(";")
      .map((part) => part.trim())
      .filter((part) => part && !stale.has(part.slice(0, part.indexOf("=")).trim()));
    if (kept.length) c.req.raw.headers.set("cookie", kept.join("; "));
    else c.req.raw.headers.delete("cookie");
  }

  app.post("/sign-in/email", async (c) => {
    const body = emailBody.safeParse(await readJson(c));
    if (!body.success) return forward(c);
    const email = body.data.email;
    const throttled = await s.throttle.check(email);
    if (throttled.locked) {
      await s.audit.record({ type: "sign_in_throttled", detail: { account: sha(email.trim().toLowerCase()).slice(0, 12) } });
      throw tooManyAttempts(throttled.retryAfterSeconds);
    }
    // The plain case without Better Auth's endpoint machinery, same answer (password-sign-in.ts).
    const fast = await s.passwordSignIn.attempt(c.req.raw, (await readJson(c))!);
    const res = fast?.response ?? (await forward(c));
    if (res.status === 401) {
      await s.throttle.recordFailure(email);
      await s.audit.record({ type: "sign_in_failed", detail: { method: "password" } });
    } else if (res.status === 200 || res.status === 403) {
      await s.throttle.recordSuccess(email, throttled);
      if (res.status === 200) {
        const userId = fast ? fast.userId : await signedInUserId(res);
        await s.audit.record({ type: "sign_in", userId, detail: { method: "password" } });
      } else if ((await errorCode(res)) === "EMAIL_NOT_VERIFIED") {
        // The right password, not yet verified: a fresh link went out, and this browser may use it.
        return binding.bind(res, email);
      }
    }
    return res;
  });

  app.post("/send-verification-email", async (c) => {
    const body = emailBody.safeParse(await readJson(c));
    if (body.success) {
      const decision = await s.mailQuota.take("verify", body.data.email);
      if (!decision.allowed) throw tooManyMails(decision.retryAfterSeconds);
    }
    const res = await forward(c);
    return body.success && res.status === 200 ? binding.bind(res, body.data.email) : res;
  });

  // The browser that signs up is the one its verification link may sign in (link-binding.ts):
  // set for a taken address too, whose answer is the same.
  app.post("/sign-up/email", async (c) => {
    const started = performance.now();
    const body = emailBody.safeParse(await readJson(c));
    const res = await forward(c);
    // A new address costs two more rows (user, account) than a taken one, which does the same
    // mail and audit work (auth.ts onExistingUserSignUp): ~1.5 ms here. Every answer takes at
    // least SIGN_UP_MIN_MS, well above that difference (ASVS 6.3.8).
    const wait = SIGN_UP_MIN_MS - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return body.success && res.status === 200 ? binding.bind(res, body.data.email) : res;
  });

  // Same answer, same time, whether or not the account exists (ASVS 6.3.8): the work happens
  // after the response, so neither status, body nor timing tells.
  const resetRequest = async (c: Context) => {
    const parsed = z
      .object({ email: z.email().max(320), redirectTo: z.string().max(2048).optional() })
      .safeParse(await readJson(c));
    if (!parsed.success) throw new ApiError(400, "INVALID_EMAIL", "Enter a valid email address.");
    const { redirectTo } = parsed.data;
    if (redirectTo !== undefined && !s.isTrustedRedirect(redirectTo)) {
      throw new ApiError(400, "INVALID_REDIRECT", "redirectTo must be a path on this site.");
    }
    const request = requestForBetterAuth(c);
    const quota = await s.mailQuota.take("reset", parsed.data.email);
    if (quota.allowed) {
      void s.auth.handler(request).then(
        (res) => {
          if (res.status >= 400) s.logger.warn({ status: res.status }, "background password reset request failed");
        },
        (err) => s.logger.error({ err }, "background password reset request failed"),
      );
    }
    return c.json({ status: true, message: "If this email belongs to an account, a reset link is on its way." });
  };
  app.post("/request-password-reset", resetRequest);
  app.post("/forget-password", resetRequest);

  // Better Auth's verification links are stateless JWTs, valid until they expire; we make each
  // usable once (ASVS 6.4.1) by recording its hash before Better Auth acts on it (so two
  // requests at once cannot both use it), and giving it back when Better Auth refuses it: an
  // email-change confirmation opened in a browser signed in as someone else is refused
  // (INVALID_USER) and must still work for its owner afterwards.
  // A link signs in only the browser that asked for it (link-binding.ts); anywhere else it
  // verifies the address and leaves the browser as it was (ASVS 3.5.3).
  app.get("/verify-email", async (c) => {
    const token = c.req.query("token");
    const callbackURL = c.req.query("callbackURL");
    // One redirect check for every answer of this route, ours and Better Auth's (ASVS 3.7.2).
    if (callbackURL !== undefined && !s.isTrustedRedirect(callbackURL)) {
      throw new ApiError(403, "INVALID_CALLBACK_URL", "callbackURL must be a path on this site.");
    }
    let claimed = false;
    if (token && token.length <= 4096) {
      const fresh = await s.usedTokens.claim("verify-email", token, Date.now() + 2 * 86_400_000);
      claimed = fresh;
      if (!fresh) {
        if (callbackURL) return c.redirect(withParam(callbackURL, s.config.baseURL, "error", "TOKEN_ALREADY_USED"), 302);
        throw new ApiError(400, "TOKEN_ALREADY_USED", "This link has already been used.");
      }
    }
    const email = token ? signUpLinkEmail(token) : null;
    const res = email && !binding.isBound(c, email) ? await verifyWithoutSignIn(c) : await forward(c);
    if (claimed && refused(res)) await s.usedTokens.release("verify-email", token!);
    return res;
  });

  /**
   * Better Auth's verification for a browser the link may not sign in: it sees no cookie (so no
   * session of this browser is replaced or linked), and the session it creates for the account
   * is deleted before its cookie could leave. The browser lands on the callback with
   * `sign_in=required`: the page says the address is verified and offers to sign in.
   */
  async function verifyWithoutSignIn(c: Context): Promise<Response> {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("cookie");
    const res = await forward(c, new Request(c.req.url, { method: "GET", headers }));
    const ctx = await s.auth.$context;
    const sessionCookie = ctx.authCookies.sessionToken.name;
    const out = new Headers();
    for (const [key, value] of res.headers) if (key !== "set-cookie") out.append(key, value);
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      if (pair!.slice(0, eq).trim() !== sessionCookie) continue;
      const signed = decodeURIComponent(pair!.slice(eq + 1).trim());
      const sessionToken = signed.slice(0, signed.lastIndexOf("."));
      if (sessionToken) await ctx.internalAdapter.deleteSession(sessionToken);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location && !refused(res)) out.set("location", withParam(location, s.config.baseURL, "sign_in", "required"));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  }

  // "Password OR a confirmation email": Better Auth 1.7 mails a confirmation even when the right
  // password is sent (sendDeleteAccountVerification wins). With a password we check it here and,
  // when right, hand Better Auth a one-time deletion token for this session's user, so its own
  // deletion runs (origin and session checks, cookie cleared, afterDelete: audit, cache). Without
  // a password, Better Auth mails the confirmation link.
  app.post("/delete-user", async (c) => {
    const password = (await readJson(c))?.password;
    if (typeof password !== "string") return forward(c);
    const origin = c.req.header("origin") || c.req.header("referer") || "";
    const sameSite = /^https?:\/\//i.test(origin) && s.isTrustedRedirect(origin);
    // No cookie or a foreign origin: Better Auth gives its own 401/403.
    if (!c.req.header("cookie") || !sameSite) return forward(c);
    const session = await s.auth.api.getSession({ headers: c.req.raw.headers }).catch(() => null);
    if (!session) return forward(c);
    const { id: userId, email } = session.user;
    const throttled = await s.throttle.check(email);
    if (throttled.locked) throw tooManyAttempts(throttled.retryAfterSeconds);
    const account = await s.db.kysely
      .selectFrom("account")
      .select("password")
      .where("userId", "=", userId)
      .where("providerId", "=", "credential")
      .executeTakeFirst();
    if (!account?.password) throw new ApiError(400, "CREDENTIAL_ACCOUNT_NOT_FOUND", "This account has no password: confirm by email instead.");
    if (password.length > 1024 || !(await verifyPassword({ hash: account.password, password }))) {
      await s.throttle.recordFailure(email);
      throw new ApiError(400, "INVALID_PASSWORD", "The password is not right.");
    }
    const token = randomBytes(32).toString("base64url");
    const ctx = await s.auth.$context;
    await ctx.internalAdapter.createVerificationValue({
      value: userId,
      identifier: `delete-account-${token}`,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    headers.delete("content-length");
    return forward(c, new Request(c.req.url, { method: "POST", headers, body: JSON.stringify({ token }) }));
  });

  // Better Auth's JWT minting: tell our verifier the kid, so a just-rotated key is trusted at once.
  app.get("/token", async (c) => {
    const res = await forward(c);
    if (res.status === 200) {
      const body = (await res.clone().json().catch(() => null)) as { token?: unknown } | null;
      if (typeof body?.token === "string") await s.verifier.noteSigned(body.token);
    }
    return res;
  });

  app.all("*", (c) => forward(c));
  return app;
}

/** `url` (a path or one of our URLs, resolved against `base`) with `name=value` added to its query. */
function withParam(url: string, base: string, name: string, value: string): string {
  const parsed = new URL(url, base);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

/**
 * The address of a sign-up verification link (Better Auth's HS256 JWT: `{ email }`), read
 * without checking the signature: Better Auth checks it. `null` for an email-change link
 * (`updateTo`), which never signs anyone in, and for anything that is not such a token.
 */
function signUpLinkEmail(token: string): string | null {
  try {
    const claims = decodeJwt(token);
    return typeof claims.email === "string" && claims.updateTo === undefined ? claims.email : null;
  } catch {
    return null;
  }
}

/** Better Auth said no: an error status, or its redirect to the callback with `?error=`. */
function refused(res: Response): boolean {
  if (res.status >= 400) return true;
  const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
  if (!location) return false;
  try {
    return new URL(location, "http://x").searchParams.has("error");
  } catch {
    return false;
  }
}

async function errorCode(res: Response): Promise<string | null> {
  const data = (await res.clone().json().catch(() => null)) as { code?: unknown } | null;
  return typeof data?.code === "string" ? data.code : null;
}

async function signedInUserId(res: Response): Promise<string | null> {
  const data = (await res.clone().json().catch(() => null)) as { user?: { id?: string } } | null;
  return data?.user?.id ?? null;
}

export function tooManyAttempts(retryAfterSeconds: number) {
  return new ApiError(
    429,
    "TOO_MANY_ATTEMPTS",
    "Too many failed sign-in attempts for this account. Wait a little and try again.",
    { retryAfter: retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );
}

function tooManyMails(retryAfterSeconds: number) {
  return new ApiError(
    429,
    "EMAIL_RATE_LIMITED",
    "An email was sent to this address moments ago. Wait a minute before asking for another.",
    { retryAfter: retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );
}
