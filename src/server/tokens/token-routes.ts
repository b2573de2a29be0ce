import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Services } from "../services.ts";
import { currentRequest } from "../http/request-context.ts";
import { RULES } from "../rate-limit/rules.ts";
import { accessTokenClaims } from "./access-token-claims.ts";
import { isBannedNow } from "../auth/ban.ts";
import { ApiError } from "../http/errors.ts";
import { readBody } from "../http/body.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { oauthErrorSchema, revokeRequestSchema, revokeResponseSchema, tokenRequestSchema, tokenResponseSchema } from "../../shared/api/tokens.ts";

/**
 * The token API for everything that is not our browser (mobile, CLI, other services),
 * OAuth 2.0 shaped: RFC 6749 §4.3 (password) and §6 (refresh), errors as §5.2, revocation
 * as RFC 7009. Access tokens are Better Auth JWTs (EdDSA, JWKS at /api/auth/jwks).
 */
type OAuthError = "invalid_request" | "invalid_grant" | "unsupported_grant_type" | "access_denied";

/** RFC 6749 §5.2 body, plus our usual { code, message } so every client can read it. */
function oauthError(status: 400 | 401 | 403 | 429, error: OAuthError | string, description: string, code: string, headers: Record<string, string> = {}) {
  return new ApiError(status, code, description, { error, error_description: description }, headers);
}

/** The grant, JSON or a form (RFC 6749 §4.3), by the one body reader; its refusals in the §5.2 shape. */
async function readGrant(c: Context): Promise<unknown> {
  try {
    return await readBody(c, { form: true, anyJson: true });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    // Every malformed request is 400 invalid_request here, an unsupported content type too.
    throw oauthError(400, "invalid_request", err.message, err.status === 415 ? "INVALID_REQUEST" : err.code);
  }
}

/** The body of both routes: JSON, or a form as RFC 6749 §4.3 has it. */
const jsonOrForm = (schema: typeof tokenRequestSchema | typeof revokeRequestSchema) => ({
  required: true,
  content: { "application/json": { schema }, "application/x-www-form-urlencoded": { schema } },
});

const postToken = createRoute({
  method: "post",
  path: "/token",
  summary: "Obtain tokens (password grant) or refresh them (refresh_token grant)",
  description:
    "Refresh tokens rotate on every use. Presenting a rotated token again within the grace window (10 s) returns the family's current token; after it, the whole family is revoked.",
  security: [],
  request: { body: jsonOrForm(tokenRequestSchema) },
  responses: {
    200: jsonResponse(tokenResponseSchema, "Tokens (Cache-Control: no-store)"),
    400: errorResponse(400, "invalid_request, unsupported_grant_type, or invalid_grant (the same for an unknown email and a wrong password; INVALID_CODE for a wrong or used second-factor code)", oauthErrorSchema),
    403: errorResponse(403, "EMAIL_NOT_VERIFIED, BANNED_USER, or MFA_REQUIRED (`mfa_required`: the account has a second factor, send `otp`), only after a correct password", oauthErrorSchema),
    429: errorResponse(429, "Too many attempts: RATE_LIMITED per IP, or TOO_MANY_ATTEMPTS (error too_many_attempts) per account; see Retry-After"),
    ...errorResponses(503),
  },
});

const postRevoke = createRoute({
  method: "post",
  path: "/revoke",
  summary: "Revoke a refresh token and its whole family (RFC 7009)",
  security: [],
  request: { body: jsonOrForm(revokeRequestSchema) },
  responses: {
    200: jsonResponse(revokeResponseSchema, "Always, whether or not the token was known"),
    400: errorResponse(400, "invalid_request: token is required", oauthErrorSchema),
    ...errorResponses(429, 503),
  },
});

export function tokenRoutes(s: Services) {
  const app = new OpenAPIHono();
  const ttl = s.config.env.ACCESS_TOKEN_TTL_SECONDS;

  async function mintAccessToken(userId: string): Promise<string> {
    const user = await s.db.kysely.selectFrom("user").select(["id", "role", "emailVerified"]).where("id", "=", userId).executeTakeFirstOrThrow();
    const { token } = await s.auth.api.signJWT({ body: { payload: accessTokenClaims(user) } });
    await s.verifier.noteSigned(token); // a just-rotated key must not wait out the unknown-kid cooldown
    return token;
  }

  function tokenResponse(c: Context, accessToken: string, refresh: { token: string; expiresAt: number }) {
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: ttl,
      refresh_token: refresh.token,
      refresh_expires_in: Math.max(0, Math.floor((refresh.expiresAt - Date.now()) / 1000)),
    });
  }

  route(app, postToken, async (c) => {
    const ip = currentRequest()!.limitKey;
    const raw = await readGrant(c);
    const grant = (raw as { grant_type?: unknown } | null)?.grant_type;
    if (grant !== "password" && grant !== "refresh_token") {
      if (typeof grant === "string") throw oauthError(400, "unsupported_grant_type", "grant_type must be password or refresh_token.", "UNSUPPORTED_GRANT_TYPE");
      throw oauthError(400, "invalid_request", "grant_type is required.", "INVALID_REQUEST");
    }
    const parsed = tokenRequestSchema.safeParse(raw);
    if (!parsed.success) throw oauthError(400, "invalid_request", "The request is missing a field or has one of the wrong type.", "INVALID_REQUEST");
    const body = parsed.data;
    const meta = { ip: currentRequest()!.ip, userAgent: currentRequest()?.userAgent };

    if (body.grant_type === "refresh_token") {
      await s.limits.consume(RULES.tokenRefresh, ip);
      const result = await s.refreshTokens.rotate(body.refresh_token, meta);
      if (!result.ok) throw oauthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked.", "INVALID_GRANT");
      const user = await s.db.kysely.selectFrom("user").select(["id", "banned", "banExpires"]).where("id", "=", result.userId).executeTakeFirst();
      const banned = user ? isBannedNow(user) : false;
      if (!user || banned) {
        await s.refreshTokens.revokeAllForUser(result.userId, banned ? "banned" : "user_gone");
        throw oauthError(400, "invalid_grant", "The refresh token is invalid, expired or revoked.", "INVALID_GRANT");
      }
      return tokenResponse(c, await mintAccessToken(result.userId), result);
    }

    await s.limits.consume(RULES.tokenPassword, ip);
    const email = body.email.trim().toLowerCase();
    const throttled = await s.throttle.check(email);
    if (throttled.locked) {
      await s.audit.record({ type: "sign_in_throttled", detail: { method: "token" } });
      throw oauthError(429, "too_many_attempts", "Too many failed sign-in attempts for this account. Wait a little and try again.", "TOO_MANY_ATTEMPTS", {
        "Retry-After": String(throttled.retryAfterSeconds),
      });
    }
    // Unknown email and wrong password cost the same argon2 verify and answer the same (ASVS 6.3.8).
    const checked = await s.credentials.verify(email, body.password);
    if (!checked.ok) {
      await s.throttle.recordFailure(email);
      await s.audit.record({ type: "sign_in_failed", userId: null, detail: { method: "token" } });
      throw oauthError(400, "invalid_grant", "Invalid email or password.", "INVALID_EMAIL_OR_PASSWORD");
    }
    const { user } = checked;
    // With a second factor, the right password alone does not clear the account's failures.
    if (!user.twoFactorEnabled) await s.throttle.recordSuccess(email, throttled);
    if (isBannedNow(user)) {
      throw oauthError(403, "access_denied", "This account has been suspended.", "BANNED_USER");
    }
    if (s.config.env.REQUIRE_EMAIL_VERIFICATION && !user.emailVerified) {
      // As Better Auth's sign-in does: a fresh link goes out (at most one a minute per address).
      void s.auth.api
        .sendVerificationEmail({ body: { email } })
        .catch((err: unknown) => s.logger.warn({ err: String(err) }, "verification mail on token grant failed"));
      throw oauthError(403, "invalid_grant", "Verify your email address first: we have sent you a new link.", "EMAIL_NOT_VERIFIED");
    }
    if (user.twoFactorEnabled) {
      // The password alone is not enough: the code too, and a wrong code counts as a wrong
      // password against the account (the right password must not reset that count).
      if (!body.otp) {
        throw oauthError(403, "mfa_required", "This account has a second factor: send the code from the authenticator app, or a recovery code, as `otp`.", "MFA_REQUIRED");
      }
      if (!(await s.secondFactor.verify(user.email, body.password, body.otp, currentRequest()!.ip))) {
        await s.throttle.recordFailure(email);
        await s.audit.record({ type: "sign_in_failed", userId: user.id, detail: { method: "token", factor: "second" } });
        throw oauthError(400, "invalid_grant", "The code is not right, or was already used.", "INVALID_CODE");
      }
      await s.throttle.recordSuccess(email, throttled);
    }
    const refresh = await s.refreshTokens.issue(user.id, meta);
    await s.audit.record({ type: "sign_in", userId: user.id, detail: { method: "token" } });
    return tokenResponse(c, await mintAccessToken(user.id), refresh);
  });

  route(app, postRevoke, async (c) => {
    await s.limits.consume(RULES.tokenRefresh, currentRequest()!.limitKey);
    const body = revokeRequestSchema.safeParse(await readGrant(c));
    if (!body.success) throw oauthError(400, "invalid_request", "token is required.", "INVALID_REQUEST");
    const revoked = await s.refreshTokens.revoke(body.data.token);
    if (revoked) await s.audit.record({ type: "token_revoked", userId: revoked.userId });
    // RFC 7009 §2.2: 200 whether or not the token was known.
    c.header("Cache-Control", "no-store");
    return c.json({});
  });

  return app;
}
