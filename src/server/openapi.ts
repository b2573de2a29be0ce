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
const chatId = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
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
        Book: {
          type: "object",
          properties: {
            title: { type: "string" },
            description: { type: ["string", "null"] },
            chapters: { type: "array", items: { type: "object", properties: { slug: { type: "string" }, title: { type: "string" }, order: { type: "integer" }, description: { type: ["string", "null"] } } } },
          },
        },
        Chapter: {
          type: "object",
          properties: {
            slug: { type: "string" },
            title: { type: "string" },
            html: { type: "string", description: "Sanitised on the server" },
            headings: { type: "array", items: { type: "object", properties: { id: { type: "string" }, text: { type: "string" }, depth: { type: "integer" } } } },
            prev: { type: ["object", "null"] },
            next: { type: ["object", "null"] },
          },
        },
        Chat: {
          type: "object",
          properties: { id: { type: "string" }, title: { type: "string" }, createdAt: { type: "string", format: "date-time" }, updatedAt: { type: "string", format: "date-time" } },
        },
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
      "/api/v1/auth/providers": {
        get: { summary: "Social sign-in providers configured on this server", security: [], responses: { 200: { description: "{ providers: string[] }" } } },
      },
      "/api/v1/book": {
        get: { summary: "The book: title, description and chapters in reading order", security: [], responses: { 200: { description: "Book", content: json({ $ref: "#/components/schemas/Book" }) } } },
      },
      "/api/v1/book/chapters/{slug}": {
        get: {
          summary: "One chapter as sanitised HTML with its headings and neighbours",
          security: [],
          parameters: [{ name: "slug", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9-]{1,100}$" } }],
          responses: { 200: { description: "Chapter", content: json({ $ref: "#/components/schemas/Chapter" }) }, ...errors(404) },
        },
      },
      "/api/v1/chats": {
        get: {
          summary: "The caller's chats, most recently active first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } },
            { name: "cursor", in: "query", schema: { type: "string", description: "nextCursor of the previous page" } },
          ],
          responses: { 200: { description: "{ chats: Chat[], nextCursor: string | null }" }, ...errors(400, 401) },
        },
        post: {
          summary: "Start a chat (anonymous readers too: sign in with POST /api/auth/sign-in/anonymous first)",
          requestBody: { required: false, content: json({ type: "object", properties: { title: { type: "string", maxLength: 120 } } }) },
          responses: { 201: { description: "Chat", content: json({ $ref: "#/components/schemas/Chat" }) }, ...errors(400, 401) },
        },
      },
      "/api/v1/chats/{id}": {
        get: {
          summary: "A chat with its latest messages (another reader's chat is 404)",
          description:
            "`messages` are the chat's latest `limit` (default 50) messages, oldest first; `earlierCursor`, when not null, passed as `before` gives the page before them.",
          parameters: [
            ...chatId,
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 200, default: 50 } },
            { name: "before", in: "query", schema: { type: "string" }, description: "earlierCursor of a previous answer" },
          ],
          responses: { 200: { description: "Chat with messages and earlierCursor" }, ...errors(400, 401, 404) },
        },
        patch: {
          summary: "Rename a chat",
          parameters: chatId,
          requestBody: { required: true, content: json({ type: "object", required: ["title"], properties: { title: { type: "string", maxLength: 120 } } }) },
          responses: { 200: { description: "Chat", content: json({ $ref: "#/components/schemas/Chat" }) }, ...errors(400, 401, 404) },
        },
        delete: { summary: "Delete a chat and its messages", parameters: chatId, responses: { 204: { description: "Deleted" }, ...errors(401, 404) } },
      },
      "/api/v1/chats/{id}/messages": {
        post: {
          summary: "Ask a question; the answer streams as server-sent events",
          parameters: chatId,
          description:
            "The reader's message is stored before the model is asked. Events: `message` (the stored question), `token` ({text}) repeatedly, then `done` ({assistantMessage}) or `error` ({code, message, assistantMessage}). With `Accept: application/json` the whole answer comes as one JSON body (502 with a code when the provider fails). A failed or interrupted answer is stored with its status and can be retried.",
          requestBody: { required: true, content: json({ type: "object", required: ["content"], properties: { content: { type: "string" } } }) },
          responses: {
            200: { description: "text/event-stream, or JSON { userMessage, assistantMessage }" },
            ...errors(400, 401, 404, 429, 502),
          },
        },
      },
      "/api/v1/chats/{id}/messages/{messageId}/retry": {
        post: {
          summary: "Answer again in place of a failed or interrupted answer",
          parameters: [...chatId, { name: "messageId", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: { description: "As for messages" }, ...errors(401, 404, 409, 429) } },
      },
    },
  };
}
