import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { Services } from "../services.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponse, errorResponses, route } from "../http/route.ts";
import type { Selectable } from "kysely";
import type { SecurityEventTable } from "../db/schema.ts";
import { auditPage, auditQuery, type AuditEvent } from "../../shared/api/staff.ts";
import { staffGuard } from "./guard.ts";

/** GET /api/v1/staff/audit: every security and staff event, newest first, filtered; CSV for admins' records. */
const getAudit = createRoute({
  method: "get",
  path: "/audit",
  summary: "The audit log: every security and staff event, newest first, filtered (admins); format=csv exports",
  request: { query: auditQuery },
  responses: {
    200: {
      description: "A page of events, or (format=csv) up to 10,000 as CSV",
      content: { "application/json": { schema: auditPage }, "text/csv": { schema: z.string() } },
    },
    ...errorResponses(400, 401),
    403: errorResponse(403, "FORBIDDEN (not an admin), TWO_FACTOR_REQUIRED"),
  },
});

export function auditRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  const db = s.db.kysely;
  const { staff } = staffGuard(s);

  route(app, getAudit, async (c) => {
    await staff(c, { admins: true });
    const q = auditQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", "Check the filters: actor, target, type, from, to (epoch ms), before, limit (1..200), format (json or csv).");
    const { actor, target, type, from, to, before, format } = q.data;
    const limit = format === "csv" ? CSV_MAX_ROWS : q.data.limit;
    let query = db.selectFrom("security_event").selectAll().orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1);
    if (actor) query = query.where("actor_id", "=", actor);
    if (target) query = query.where("user_id", "=", target);
    if (type) query = query.where("type", "=", type);
    if (from !== undefined) query = query.where("created_at", ">=", from);
    if (to !== undefined) query = query.where("created_at", "<", to);
    if (before) {
      // Exact across events sharing one millisecond: (created_at, id) is the order.
      const [ms, id] = [Number(before.slice(0, before.indexOf("_"))), before.slice(before.indexOf("_") + 1)];
      query = query.where((eb) => eb.or([eb("created_at", "<", ms), eb.and([eb("created_at", "=", ms), eb("id", "<", id)])]));
    }
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const events = page.map(auditEventOf);
    if (format === "csv") {
      c.header("Content-Type", "text/csv; charset=utf-8");
      c.header("Content-Disposition", 'attachment; filename="audit-log.csv"');
      return c.body(auditCsv(events));
    }
    const last = page[page.length - 1];
    return c.json({ events, nextBefore: rows.length > limit && last ? `${Number(last.created_at)}_${last.id}` : null });
  });

  return app;
}

/** A security_event row as the audit log and a reader's page show it. */
export function auditEventOf(r: Selectable<SecurityEventTable>): AuditEvent {
  return {
    id: r.id,
    type: r.type,
    userId: r.user_id,
    actorId: r.actor_id,
    ip: r.ip,
    userAgent: r.user_agent,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    createdAt: new Date(Number(r.created_at)).toISOString(),
  };
}

/** At most this many rows in one CSV export (a narrower filter gets the rest). */
const CSV_MAX_ROWS = 10_000;

/**
 * RFC 4180 CSV of audit events. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * a tab or a carriage return first: a name or user agent an attacker chose) is prefixed with `'`.
 */
export function auditCsv(events: AuditEvent[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = ["time", "type", "user", "actor", "ip", "user_agent", "detail", "id"];
  const lines = events.map((e) => [e.createdAt, e.type, e.userId, e.actorId, e.ip, e.userAgent, e.detail, e.id].map(cell).join(","));
  return [header.join(","), ...lines].join("\r\n") + "\r\n";
}
