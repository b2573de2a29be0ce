import { OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../services.ts";
import type { CallerEnv } from "../http/env.ts";
import { auditRoutes } from "./audit.ts";
import { overviewRoutes } from "./overview.ts";
import { readerRoutes } from "./readers.ts";

/**
 * /api/v1/staff: the console's routes. Who may call each is staff/guard.ts (the rules of Better
 * Auth's admin routes, auth/staff-rules.ts); the console's actions on an account that Better Auth
 * has routes for (ban, unban, set role, remove, end every session) go to those routes.
 */
export function staffRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  app.use("*", s.callers.requireCaller());
  app.route("/", overviewRoutes(s));
  app.route("/", readerRoutes(s));
  app.route("/", auditRoutes(s));
  return app;
}
