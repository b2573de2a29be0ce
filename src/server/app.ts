import { OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "./services.ts";
import { ApiError, errorBody, sendError } from "./http/errors.ts";
import { isDatabaseUnavailable, serviceUnavailable } from "./db/unavailable.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { edge } from "./http/edge.ts";
import { crossSiteGuard } from "./http/cross-site.ts";
import { currentRequest } from "./http/request-context.ts";
import { RULES } from "./rate-limit/rules.ts";
import { authRoutes } from "./auth/routes/index.ts";
import { tokenRoutes } from "./tokens/token-routes.ts";
import { meRoutes } from "./account/me-routes.ts";
import { staffRoutes } from "./staff/staff-routes.ts";
import { healthRoutes } from "./health/health-routes.ts";
import { getOpenApiDocument, openApiDocument } from "./openapi.ts";
import { route } from "./http/route.ts";
import { chatRoutes } from "./chat/chat-routes.ts";
import { bookRoutes } from "./book/book-routes.ts";
import { assetPolicy, bookAssetRoutes } from "./book/asset-routes.ts";
import { ASSET_PREFIX, STATIC_PREFIX } from "./book/links.ts";
import { bodyLimit } from "./http/body-limit.ts";
import { providersRoutes } from "./auth/providers-routes.ts";
import { serveWebApp } from "./web/static.ts";
import { searchRoutes } from "./place/search-routes.ts";
import { placeRoutes } from "./place/place-routes.ts";
import { createPlaceStore } from "./place/place-store.ts";

/** Bodies larger than this are refused with 413 before anyone parses them. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The whole HTTP surface: Better Auth at /api/auth/*, our API at /api/v1/*, health checks, the book and the web app. */
export function createApp(s: Services) {
  // OpenAPIHono: each sub-app's route declarations are gathered here, for the document (openapi.ts).
  const app = new OpenAPIHono();
  app.use("*", edge(s.config.env.TRUSTED_PROXIES, s.config.env.IPV6_RATE_LIMIT_PREFIX));
  // Before securityHeaders, so its SVG-only CSP is what leaves the server for book images.
  app.use("/book-assets/*", assetPolicy());
  app.use("/book-static/*", assetPolicy());
  app.use("*", securityHeaders({ hsts: s.config.production && s.config.secureCookies }));
  // Registered for the methods that carry a body only: on an API read it is not even a layer
  // (GET and HEAD have no body here; asking would build the full Request on every API read).
  app.on(["POST", "PUT", "PATCH", "DELETE"], "/api/*", bodyLimit({ maxBytes: MAX_BODY_BYTES }));

  // Our own routes with a cookie: same origin and JSON only (Better Auth's routes check their own).
  app.on(["POST", "PUT", "PATCH", "DELETE"], "/api/v1/*", crossSiteGuard(s.config.trustedOrigins));

  app.route("/", healthRoutes(s));
  app.route("/api/auth", authRoutes(s));

  // With RATE_LIMIT=off there is nothing to count: no layer at all on every API request.
  if (s.config.rateLimit) {
    app.use("/api/v1/*", (_c, next) => {
      // Most requests are counted in memory (rate-limit/batched-limiter.ts): no promise to wait for.
      const counting = s.limits.consumeNow(RULES.api, currentRequest()?.limitKey ?? "unknown");
      return counting ? counting.then(next) : next();
    });
  }
  app.route("/api/v1/auth", tokenRoutes(s));
  app.route("/api/v1/auth", providersRoutes(s.auth, s.config.env.PASSWORD_MIN_LENGTH));
  app.route("/api/v1/book", searchRoutes(s));
  app.route("/api/v1/book", bookRoutes(s.book.current));
  app.route("/api/v1/me", placeRoutes(s, createPlaceStore(s.db.kysely)));
  app.route("/api/v1/me", meRoutes(s));
  app.route("/api/v1/staff", staffRoutes(s));
  app.route(
    "/api/v1/chats",
    chatRoutes(s, {
      store: s.chats,
      index: s.bookIndex,
      provider: s.answerer,
      limits: {
        perMinute: s.config.env.CHAT_MESSAGES_PER_MINUTE,
        anonymousPerDay: s.config.env.CHAT_ANONYMOUS_DAILY_MESSAGES,
        userPerDay: s.config.env.CHAT_USER_DAILY_MESSAGES,
        maxChars: s.config.env.CHAT_MAX_MESSAGE_CHARS,
      },
    }),
  );
  let document: ReturnType<typeof openApiDocument> | undefined;
  route(app, getOpenApiDocument, (c) => c.json((document ??= openApiDocument(app, s.config.baseURL))));

  app.route("/book-assets", bookAssetRoutes(ASSET_PREFIX, () => s.book.current().dir));
  app.route("/book-static", bookAssetRoutes(STATIC_PREFIX, () => s.book.current().staticDir));
  // Last: the React app and its client-side routes, for whatever the API did not answer.
  app.use("*", serveWebApp({ distDir: s.config.env.WEB_DIST_DIR }));

  app.notFound((c) => c.json(errorBody("NOT_FOUND", "No such route."), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return sendError(c, err);
    const status = (err as { status?: number }).status;
    if (status === 413) return c.json(errorBody("PAYLOAD_TOO_LARGE", "The request body is too large."), 413);
    // The id in the log line and in the answer: a reader's report leads to the line.
    const requestId = currentRequest()?.requestId;
    if (requestId) c.header("X-Request-Id", requestId);
    if (isDatabaseUnavailable(err)) {
      // Fail closed and say so: the write was not acknowledged, the client may retry.
      s.logger.warn({ err: { message: err.message, code: (err as { code?: unknown }).code }, path: c.req.path, requestId }, "database unavailable");
      return sendError(c, serviceUnavailable());
    }
    s.logger.error({ err: { message: err.message, stack: err.stack }, path: c.req.path, requestId }, "unhandled error");
    return c.json(errorBody("INTERNAL_ERROR", "Something went wrong on our side. Try again in a moment."), 500);
  });
  return app;
}
