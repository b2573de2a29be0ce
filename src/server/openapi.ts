import { OpenApiGeneratorV31, OpenAPIRegistry, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { openApiDocumentSchema } from "../shared/api/health.ts";
import { errorResponse, jsonResponse } from "./http/route.ts";

/**
 * The OpenAPI 3.1 description of our own routes (/api/v1/*, health), generated from their
 * declarations (http/route.ts) as the app mounted them. Better Auth's routes under /api/auth/*
 * are its standard ones and documented by Better Auth.
 */
export const getOpenApiDocument = createRoute({
  method: "get",
  path: "/api/v1/openapi.json",
  summary: "This document",
  security: [],
  responses: { 200: jsonResponse(openApiDocumentSchema, "The OpenAPI 3.1 description of this API") },
});

/** Generated once per app, on first use: every route is mounted by then. */
export function openApiDocument(app: OpenAPIHono, baseURL: string) {
  const shared = new OpenAPIRegistry();
  shared.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token from POST /api/v1/auth/token",
  });
  shared.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "better-auth.session_token",
    description: "Better Auth's session cookie (named `__Secure-better-auth.session_token` over https)",
  });
  const routes = app.openAPIRegistry.definitions.map((d) => (d.type === "route" ? { ...d, route: withAppWideResponses(d.route) } : d));
  return new OpenApiGeneratorV31([...shared.definitions, ...routes]).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "AI Book API",
      version: "1.0.0",
      description:
        "Our own routes. Authenticate with the Better Auth session cookie or `Authorization: Bearer <access token>`. Every error is JSON with a stable `code` and a human `message`; every 429 carries `Retry-After`.",
    },
    servers: [{ url: baseURL }],
    security: [{ bearer: [] }, { session: [] }],
  });
}

/**
 * The answers app.ts puts in front of every /api/v1 route, added where a route does not say
 * more: the per-IP limit (429), and on writes the cross-site guard (403, 415) and the body
 * limit (413).
 */
function withAppWideResponses(route: RouteConfig): RouteConfig {
  if (!route.path.startsWith("/api/v1/")) return route;
  const appWide = {
    429: errorResponse(429, "RATE_LIMITED: too many requests from this address; see Retry-After"),
    ...(route.method === "get"
      ? {}
      : {
          403: errorResponse(403, "CROSS_SITE_REQUEST: a call with cookies from another origin"),
          413: errorResponse(413, "PAYLOAD_TOO_LARGE: the body is over 64 KB"),
          415: errorResponse(415, "UNSUPPORTED_MEDIA_TYPE: a call with cookies must send its body as application/json"),
        }),
  };
  return { ...route, responses: { ...appWide, ...route.responses } };
}
