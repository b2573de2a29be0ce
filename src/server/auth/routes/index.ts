import { Hono, type Context } from "hono";
import type { Services } from "../../services.ts";
import { ApiError } from "../../http/errors.ts";
import { currentRequest } from "../../http/request-context.ts";
import { RULES } from "../../rate-limit/rules.ts";
import type { RateRule } from "../../rate-limit/rate-limiter.ts";
import { displayNameProblem, isUnsafeText, MAX_EMAIL_LENGTH } from "../../http/text-input.ts";
import { unsafeTextError } from "../../http/body.ts";
import { createLinkBinding } from "../link-binding.ts";
import { withoutCookies } from "../better-auth/cookies.ts";
import { VERIFY_EMAIL_TTL_SECONDS } from "../auth.ts";
import { createForward, readJson } from "./forward.ts";
import type { RouteKit } from "./kit.ts";
import { signInRoute } from "./sign-in.ts";
import { signUpRoutes } from "./sign-up.ts";
import { passwordResetRoutes } from "./password-reset.ts";
import { verifyEmailRoute } from "./verify-email.ts";
import { deleteUserRoute } from "./delete-user.ts";
import { tokenRoute } from "./token.ts";
import { secondFactorRoutes } from "./second-factor.ts";

/**
 * Better Auth's routes (/api/auth/*), unchanged in shape, with what Better Auth lacks put in
 * front: per-IP limits keyed on the real client IP, per-account sign-in throttling, per-address
 * mail limits, single-use verification links, reset requests answered before any work, and one
 * error shape ({ code, message }) for every failure. One file per route we add to (sign-in.ts,
 * sign-up.ts, …); every other route goes to Better Auth as it is.
 */
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

/**
 * Routes with a stricter per-IP rule on top of RULES.auth (POST). Anonymous readers are
 * accounts too (rows, sessions): one IP makes them no faster than sign-ups.
 */
const STRICTER_RULES: Record<string, RateRule> = {
  "/api/auth/sign-in/email": RULES.signIn,
  "/api/auth/two-factor/verify-totp": RULES.signIn,
  "/api/auth/two-factor/verify-backup-code": RULES.signIn,
  "/api/auth/sign-in/anonymous": RULES.signUp,
  "/api/auth/sign-up/email": RULES.signUp,
  "/api/auth/send-verification-email": RULES.mail,
  "/api/auth/request-password-reset": RULES.mail,
  "/api/auth/forget-password": RULES.mail,
};

/** Routes where Better Auth may start a session (and its anonymous plugin looks for one to link). */
const SIGNS_IN = /^\/api\/auth\/(sign-in\/|sign-up\/|callback\/|verify-email$)/;

export function authRoutes(s: Services) {
  const app = new Hono();
  const kit: RouteKit = {
    app,
    s,
    forward: createForward(s),
    binding: createLinkBinding({ secret: s.config.secret, secureCookies: s.config.secureCookies, maxAgeSeconds: VERIFY_EMAIL_TTL_SECONDS }),
  };
  const limit = (rule: RateRule, key: string) => s.limits.consume(rule, key);

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
    const kept = withoutCookies(header, s.session.cookieNames);
    if (kept) c.req.raw.headers.set("cookie", kept);
    else c.req.raw.headers.delete("cookie");
  }

  signInRoute(kit);
  signUpRoutes(kit);
  passwordResetRoutes(kit);
  verifyEmailRoute(kit);
  deleteUserRoute(kit);
  tokenRoute(kit);
  secondFactorRoutes(kit);
  app.all("*", (c) => kit.forward(c));
  return app;
}
