import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../services.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { FRESH_SESSION_SECONDS } from "../auth/plugins/fresh-session.ts";
import { tooManyAttempts } from "../auth/routes/kit.ts";
import { RULES } from "../rate-limit/rules.ts";
import { reauthenticateBody, reauthenticateResponse } from "../../shared/api/reauthenticate.ts";

const postReauthenticate = createRoute({
  method: "post",
  path: "/reauthenticate",
  summary: "Sign in again in place: the password (and the second factor's code) for a new session that replaces this one",
  description:
    "For actions that need a recent sign-in (403 SESSION_NOT_FRESH: changing the email address, a role, removing an account). The new session's cookie replaces this one's, and this session ends. Wrong passwords and codes count on the account's sign-in throttle.",
  request: { body: { required: true, content: { "application/json": { schema: reauthenticateBody } } } },
  responses: {
    200: jsonResponse(reauthenticateResponse, "Signed in again; the new session cookie is set"),
    ...errorResponses(400, 401),
    403: errorResponse(403, "CODE_REQUIRED (the account has a second factor: send `code`), SESSION_REQUIRED (an access token cannot sign in again), NO_PASSWORD (a social account: sign in again with its provider), BANNED_USER"),
    429: errorResponse(429, "TOO_MANY_ATTEMPTS: too many wrong passwords or codes for this account; see Retry-After"),
  },
});

/**
 * POST /api/v1/me/reauthenticate. The same checks as a sign-in (the per-account throttle, one
 * timing defence, the ban), then a sign-in through Better Auth's own handler, second factor
 * included: the browser gets that session's cookie, and the session it had ends. A wrong
 * password or code ends nothing.
 */
export function reauthenticateRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>(); // mounted by meRoutes, behind its caller check

  route(app, postReauthenticate, async (c) => {
    const caller = c.get("caller");
    if (caller.via !== "session" || !caller.sessionId) throw new ApiError(403, "SESSION_REQUIRED", "Only a browser session signs in again; an access token is renewed by the token API.");
    const { password, code } = await jsonBody(c, reauthenticateBody);
    const request = currentRequest()!;
    await s.limits.consume(RULES.signIn, request.limitKey);
    const email = caller.user.email;
    const throttled = await s.throttle.check(email);
    if (throttled.locked) {
      await s.audit.record({ type: "sign_in_throttled", userId: caller.userId, detail: { method: "reauthenticate" } });
      throw tooManyAttempts(throttled.retryAfterSeconds);
    }
    const checked = await s.credentials.verify(email, password);
    if (!checked.ok) {
      if (!checked.hasPassword) throw new ApiError(403, "NO_PASSWORD", "This account signs in with a provider: sign in again with it.");
      await s.throttle.recordFailure(email);
      await s.audit.record({ type: "sign_in_failed", userId: caller.userId, detail: { method: "reauthenticate" } });
      throw new ApiError(401, "INVALID_PASSWORD", "That password is not right.");
    }
    if (checked.user.twoFactorEnabled && !code) {
      throw new ApiError(403, "CODE_REQUIRED", "Enter the 6-digit code from your authenticator app, or a recovery code.");
    }
    const signedIn = await s.secondFactor.signIn(email, password, code, { ip: request.ip, userAgent: request.userAgent ?? undefined });
    if (!signedIn) {
      await s.throttle.recordFailure(email);
      await s.audit.record({ type: "sign_in_failed", userId: caller.userId, detail: { method: "reauthenticate", factor: "second" } });
      throw new ApiError(401, "INVALID_CODE", "The code is not right, or was already used.");
    }
    await s.throttle.recordSuccess(email, throttled);
    // The session this browser had ends: one browser, one session.
    const old = await s.db.kysely.selectFrom("session").select("token").where("id", "=", caller.sessionId).executeTakeFirst();
    if (old) await (await s.auth.$context).internalAdapter.deleteSession(old.token);
    for (const line of signedIn.setCookies) c.header("Set-Cookie", line, { append: true });
    c.header("Cache-Control", "no-store");
    return c.json({ freshUntil: new Date(Date.now() + FRESH_SESSION_SECONDS * 1000).toISOString() });
  });

  return app;
}
