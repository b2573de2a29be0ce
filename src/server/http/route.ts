import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Env, Handler } from "hono";
import { z } from "zod";
import { apiErrorSchema } from "../../shared/api/errors.ts";

/**
 * Routes as data: each route of our API is declared with `createRoute` (method, path, summary,
 * request and response schemas from src/shared/api/) beside its handler, and the OpenAPI document
 * is generated from the declarations (openapi.ts). Decision 013 says why it is built this way.
 *
 *   const getChat = createRoute({ method: "get", path: "/{id}", summary: "A chat", request: { params: chatParams },
 *     responses: { 200: jsonResponse(chatSchema, "The chat"), ...errorResponses(401, 404) } });
 *   route(app, getChat, async (c) => ...);
 *
 * The declaration goes into the sub-app's registry; the handler is mounted as a plain Hono route.
 * Not `app.openapi()`: its validators answer a bad body or query with their own status and words,
 * before the handler's own checks (an unknown chat with a bad body would be 400 instead of 404).
 * Handlers check their input with the declared schemas themselves (http/body.ts `jsonBody`).
 */
export function route<E extends Env>(app: OpenAPIHono<E>, declaration: Declared, handler: Handler<E>): void {
  app.openAPIRegistry.registerPath(declaration);
  app.on(declaration.method.toUpperCase(), declaration.getRoutingPath(), handler);
}

type Declared = RouteConfig & { getRoutingPath(): string };

/** A response with a JSON body. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });

/** The Retry-After header of every 429 and 503 (RFC 9110 §10.2.3). */
export const retryAfterHeader = z.object({
  "Retry-After": z.string().meta({ description: "Seconds to wait before trying again", example: "30" }),
});

/** An error response, `{ code, message }`; with Retry-After for 429 and 503. */
export function errorResponse(status: number, description: string, schema: z.ZodType = apiErrorSchema) {
  const response = jsonResponse(schema, description);
  return status === 429 || status === 503 ? { ...response, headers: retryAfterHeader } : response;
}

const DEFAULT_ERRORS: Record<number, string> = {
  400: "The request is malformed: VALIDATION_FAILED (with `fields` for a body), INVALID_JSON, INVALID_CHARACTERS",
  401: "UNAUTHORIZED: no valid session cookie or access token (with WWW-Authenticate: Bearer)",
  404: "NOT_FOUND",
  429: "RATE_LIMITED: too many requests from this address; see Retry-After",
  503: "SERVICE_UNAVAILABLE: the database is briefly unreachable, nothing was written; see Retry-After",
};

/** Error responses in their usual words: `...errorResponses(400, 401)`. */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, errorResponse(status, DEFAULT_ERRORS[status] ?? `Error ${status}`)]));
}
