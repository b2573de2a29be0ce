import { z } from "zod";
import { preferencesPatchSchema, preferencesSchema } from "../shared/preferences.ts";

/**
 * OpenAPI 3.1 description of our own routes (/api/v1/*, health). Better Auth's routes under
 * /api/auth/* are its standard ones and documented by Better Auth.
 */
const error = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "string", example: "VALIDATION_FAILED" }, message: { type: "string" } },
};
const oauthError = {
  type: "object",
  required: ["error", "error_description", "code", "message"],
  properties: {
    error: { type: "string", enum: ["invalid_request", "invalid_grant", "unsupported_grant_type", "access_denied", "too_many_attempts"] },
    error_description: { type: "string" },
    code: { type: "string" },
    message: { type: "string" },
  },
};
const tokenResponse = {
  type: "object",
  required: ["access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"],
  properties: {
    access_token: { type: "string", description: "EdDSA JWT; verify with /api/auth/jwks" },
    token_type: { const: "Bearer" },
    expires_in: { type: "integer", example: 900 },
    refresh_token: { type: "string", description: "Opaque, single use: each refresh returns a new one" },
    refresh_expires_in: { type: "integer", description: "Seconds left in the token family's absolute lifetime" },
  },
};
const user = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    email: { type: "string", format: "email" },
    emailVerified: { type: "boolean" },
    image: { type: ["string", "null"] },
    role: { type: "string", enum: ["user", "moderator", "admin"] },
    createdAt: { type: "string", format: "date-time" },
    preferences: { $ref: "#/components/schemas/Preferences" },
    authenticatedVia: { type: "string", enum: ["session", "bearer"] },
  },
};
const json = (schema: unknown) => ({ "application/json": { schema } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: `Error ${c}`, content: json({ $ref: "#/components/schemas/Error" }) }]));

export function openApiDocument(baseURL: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "AI Book API",
      version: "1.0.0",
      description:
        "Our own routes. Authenticate with the Better Auth session cookie or `Authorization: Bearer <access token>`. Every error is JSON with a stable `code` and a human `message`; every 429 carries `Retry-After`.",
    },
    servers: [{ url: baseURL }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        session: { type: "apiKey", in: "cookie", name: "better-auth.session_token" },
      },
      schemas: {
        Error: error,
        OAuthError: oauthError,
        TokenResponse: tokenResponse,
        User: user,
        Preferences: z.toJSONSchema(preferencesSchema),
        PreferencesPatch: z.toJSONSchema(preferencesPatchSchema),
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths: {
      "/health": { get: { summary: "Liveness", security: [], responses: { 200: { description: "The process answers" } } } },
      "/ready": {
        get: { summary: "Readiness (database reachable)", security: [], responses: { 200: { description: "Ready" }, ...errors(503) } },
      },
      "/api/v1/auth/token": {
        post: {
          summary: "Obtain tokens (password grant) or refresh them (refresh_token grant)",
          description:
            "Refresh tokens rotate on every use. Presenting a rotated token again within the grace window (10 s) returns the family's current token; after it, the whole family is revoked.",
          security: [],
          requestBody: {
            required: true,
            content: json({
              oneOf: [
                { type: "object", required: ["grant_type", "email", "password"], properties: { grant_type: { const: "password" }, email: { type: "string" }, password: { type: "string" } } },
                { type: "object", required: ["grant_type", "refresh_token"], properties: { grant_type: { const: "refresh_token" }, refresh_token: { type: "string" } } },
              ],
            }),
          },
          responses: {
            200: { description: "Tokens", content: json({ $ref: "#/components/schemas/TokenResponse" }) },
            400: { description: "invalid_request / invalid_grant (same for unknown email and wrong password)", content: json({ $ref: "#/components/schemas/OAuthError" }) },
            403: { description: "EMAIL_NOT_VERIFIED or BANNED_USER (only after a correct password)", content: json({ $ref: "#/components/schemas/OAuthError" }) },
            429: { description: "Too many attempts (per IP or per account); see Retry-After", content: json({ $ref: "#/components/schemas/OAuthError" }) },
          },
        },
      },
      "/api/v1/auth/revoke": {
        post: {
          summary: "Revoke a refresh token and its whole family (RFC 7009)",
          security: [],
          requestBody: { required: true, content: json({ type: "object", required: ["token"], properties: { token: { type: "string" } } }) },
          responses: { 200: { description: "Always, whether or not the token was known" }, ...errors(400, 429) },
        },
      },
      "/api/v1/me": {
        get: { summary: "The caller's profile, role and preferences", responses: { 200: { description: "Profile", content: json({ $ref: "#/components/schemas/User" }) }, ...errors(401) } },
      },
      "/api/v1/me/preferences": {
        get: { summary: "The caller's preferences", responses: { 200: { description: "Preferences", content: json({ $ref: "#/components/schemas/Preferences" }) }, ...errors(401) } },
        patch: {
          summary: "Change some preferences",
          requestBody: { required: true, content: json({ $ref: "#/components/schemas/PreferencesPatch" }) },
          responses: { 200: { description: "Preferences after the change", content: json({ $ref: "#/components/schemas/Preferences" }) }, ...errors(400, 401, 413, 415) },
        },
      },
      "/api/v1/me/security-events": {
        get: {
          summary: "The caller's own security events, newest first",
          parameters: [
            {
              name: "limit",
              in: "query",
              description: "Page size. A page runs longer only when more events than this share one millisecond; nextBefore is null on the last page.",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 50 },
            },
            { name: "before", in: "query", schema: { type: "integer", description: "epoch ms cursor (nextBefore)" } },
          ],
          responses: { 200: { description: "Events" }, ...errors(401) },
        },
      },
    },
  };
}
