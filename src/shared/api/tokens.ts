import { z } from "zod";

/**
 * POST /api/v1/auth/token and /revoke: OAuth 2.0 shaped (RFC 6749 §4.3 password, §6 refresh,
 * errors as §5.2; revocation as RFC 7009). Bodies are JSON or a form.
 */
export const tokenRequestSchema = z
  .discriminatedUnion("grant_type", [
    z.object({
      grant_type: z.literal("password"),
      email: z.string().min(1).max(320),
      password: z.string().min(1).max(1024),
      otp: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .meta({ description: "For an account with a second factor: the authenticator's six digits, or a recovery code" }),
    }),
    z.object({ grant_type: z.literal("refresh_token"), refresh_token: z.string().min(1).max(512) }),
  ])
  .meta({ id: "TokenRequest" });

export const tokenResponseSchema = z
  .strictObject({
    access_token: z.string().meta({ description: "EdDSA JWT; verify with /api/auth/jwks" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().meta({ example: 900 }),
    refresh_token: z.string().meta({ description: "Opaque, single use: each refresh returns a new one" }),
    refresh_expires_in: z.number().int().meta({ description: "Seconds left in the token family's absolute lifetime" }),
  })
  .meta({ id: "TokenResponse" });

export const OAUTH_ERRORS = ["invalid_request", "invalid_grant", "unsupported_grant_type", "access_denied", "too_many_attempts", "mfa_required"] as const;

/** RFC 6749 §5.2 body, plus our usual { code, message } so every client can read it. */
export const oauthErrorSchema = z
  .looseObject({
    error: z.enum(OAUTH_ERRORS),
    error_description: z.string(),
    code: z.string(),
    message: z.string(),
  })
  .meta({ id: "OAuthError" });

export const revokeRequestSchema = z.object({ token: z.string().max(512) }).meta({ id: "RevokeRequest" });

/** RFC 7009 §2.2: the same empty object whether or not the token was known. */
export const revokeResponseSchema = z.strictObject({});

export type TokenRequest = z.infer<typeof tokenRequestSchema>;
export type TokenResponse = z.infer<typeof tokenResponseSchema>;
