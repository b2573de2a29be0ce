import { Hono } from "hono";
import { sql } from "kysely";
import type { Services } from "../services.ts";

/** Liveness (`/health`: the process answers) and readiness (`/ready`: the database does too). */
export function healthRoutes(s: Services) {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
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
