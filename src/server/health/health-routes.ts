import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { Services } from "../services.ts";
import { healthSchema, notReadySchema, readySchema } from "../../shared/api/health.ts";
import { jsonResponse, route } from "../http/route.ts";

const getHealth = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness",
  security: [],
  responses: { 200: jsonResponse(healthSchema, "The process answers") },
});

const getReady = createRoute({
  method: "get",
  path: "/ready",
  summary: "Readiness (database reachable)",
  security: [],
  responses: { 200: jsonResponse(readySchema, "Ready"), 503: jsonResponse(notReadySchema, "NOT_READY: the database is not reachable") },
});

/** Liveness (`/health`: the process answers) and readiness (`/ready`: the database does too). */
export function healthRoutes(s: Services) {
  const app = new OpenAPIHono();
  route(app, getHealth, (c) => c.json({ status: "ok" }));
  route(app, getReady, async (c) => {
    try {
      await sql`select 1`.execute(s.db.kysely);
      return c.json({ status: "ready", database: s.db.kind });
    } catch (err) {
      s.logger.error({ err: String(err) }, "readiness check failed");
      return c.json({ code: "NOT_READY", message: "The database is not reachable.", status: "not_ready" }, 503);
    }
  });
  return app;
}
