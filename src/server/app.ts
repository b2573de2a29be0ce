import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Services } from "./services.ts";
import { ApiError, errorBody, sendError } from "./http/errors.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { edge } from "./http/edge.ts";
import { currentRequest } from "./http/request-context.ts";
import { RULES } from "./rate-limit/rules.ts";
import { authRoutes } from "./auth/auth-routes.ts";
import { tokenRoutes } from "./tokens/token-routes.ts";
import { meRoutes } from "./account/me-routes.ts";
import { healthRoutes } from "./health/health-routes.ts";
import { openApiDocument } from "./openapi.ts";
import { chatRoutes } from "./chat/chat-routes.ts";

/** Bodies larger than this are refused with 413 before anyone parses them. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The whole HTTP surface: Better Auth at /api/auth/*, our API at /api/v1/*, health checks. */
export function createApp(s: Services) {
  const app = new Hono();

  app.use("*", edge(s.config.env.TRUSTED_PROXIES));
  app.use("*", securityHeaders({ hsts: s.config.production && s.config.secureCookies }));
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody("PAYLOAD_TOO_LARGE", `The request body is larger than ${MAX_BODY_BYTES / 1024} KB.`), 413),
    }),
  );

  app.route("/", healthRoutes(s));
  app.route("/api/auth", authRoutes(s));

  app.use("/api/v1/*", async (c, next) => {
    await s.limits.consume(RULES.api, currentRequest()?.ip ?? "unknown");
    await next();
  });
  app.route("/api/v1/auth", tokenRoutes(s));
  app.route("/api/v1/me", meRoutes(s));
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
  app.get("/api/v1/openapi.json", (c) => c.json(openApiDocument(s.config.baseURL)));

  app.notFound((c) => c.json(errorBody("NOT_FOUND", "No such route."), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return sendError(c, err);
    const status = (err as { status?: number }).status;
    if (status === 413) return c.json(errorBody("PAYLOAD_TOO_LARGE", "The request body is too large."), 413);
    s.logger.error({ err: { message: err.message, stack: err.stack }, path: c.req.path }, "unhandled error");
    return c.json(errorBody("INTERNAL_ERROR", "Something went wrong on our side. Try again in a moment."), 500);
  });
  return app;
}
