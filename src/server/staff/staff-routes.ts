import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { sql } from "kysely";
import type { Services } from "../services.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { rankRefusal, secondFactorRefusal } from "../auth/staff-rules.ts";
import { sessionPassedSecondFactor } from "../auth/plugins/second-factor.ts";
import { secondFactorNoticeMessage } from "../email/templates.ts";
import { z } from "zod";
import {
  auditPage,
  auditQuery,
  staffOverview,
  passwordResetByStaffBody,
  passwordResetByStaffResponse,
  secondFactorResetBody,
  secondFactorResetResponse,
  staffUserParams,
} from "../../shared/api/staff.ts";

/**
 * /api/v1/staff — what an admin does that Better Auth's admin routes do not: send a reader a
 * password-reset link (nobody chooses a reader's password, ASVS 6.4.6) and take a reader's
 * second factor away when they lost it. The same rules as the admin routes (auth/staff-rules.ts):
 * admins only, never on their own account, with a second factor (STAFF_REQUIRE_2FA); audited on
 * the reader's activity, and the reader is told.
 */
const json = (schema: Parameters<typeof jsonResponse>[0]) => ({ required: true, content: { "application/json": { schema } } });

/** What every staff route may answer besides its success. */
const staffErrors = {
  ...errorResponses(400, 401),
  403: errorResponse(403, "FORBIDDEN (not an admin), NOT_ON_YOURSELF, TWO_FACTOR_REQUIRED"),
  404: errorResponse(404, "USER_NOT_FOUND"),
};

const postPasswordReset = createRoute({
  method: "post",
  path: "/users/{id}/password-reset",
  summary: "Send a reader a password-reset link (admins)",
  request: { params: staffUserParams, body: json(passwordResetByStaffBody) },
  responses: {
    202: jsonResponse(passwordResetByStaffResponse, "The link is on its way to the reader's address"),
    ...staffErrors,
  },
});

const deleteSecondFactor = createRoute({
  method: "delete",
  path: "/users/{id}/second-factor",
  summary: "Turn off a reader's second factor, with a reason (admins)",
  request: { params: staffUserParams, body: json(secondFactorResetBody) },
  responses: {
    200: jsonResponse(secondFactorResetResponse, "The reader signs in with their password alone until they enrol again"),
    ...staffErrors,
  },
});

const getOverview = createRoute({
  method: "get",
  path: "/overview",
  summary: "The console's overview: accounts, and the last 30 days day by day (staff)",
  responses: {
    200: jsonResponse(staffOverview, "Counts"),
    ...errorResponses(401),
    403: errorResponse(403, "FORBIDDEN (not staff), TWO_FACTOR_REQUIRED"),
  },
});

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

export function staffRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  app.use("*", s.callers.requireCaller());
  const db = s.db.kysely;

  /** The staff member calling (admins only, unless `moderators`), with a second factor (STAFF_REQUIRE_2FA), or the refusal. */
  async function admin(c: Context<CallerEnv>, opts: { moderators?: boolean } = {}) {
    const caller = c.get("caller");
    const allowed = caller.user.role === "admin" || (opts.moderators === true && caller.user.role === "moderator");
    if (!allowed) throw new ApiError(403, "FORBIDDEN", opts.moderators ? "Only staff can see this." : "Only admins can do this.");
    if (s.config.env.STAFF_REQUIRE_2FA) {
      const row = await db.selectFrom("user").select("twoFactorEnabled").where("id", "=", caller.userId).executeTakeFirst();
      const enrolled = Boolean(row?.twoFactorEnabled);
      // A token for an account with a factor was issued only with its code (token API).
      const passed = enrolled && (caller.via === "bearer" || (caller.sessionId ? await sessionPassedSecondFactor(s, caller.sessionId) : false));
      const refusal = secondFactorRefusal(enrolled, passed);
      if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
    }
    return caller;
  }

  /** The admin acting and the account acted on, or the refusal. */
  async function adminOn(c: Context<CallerEnv>) {
    const caller = await admin(c);
    const params = staffUserParams.safeParse({ id: c.req.param("id") });
    const target = params.success
      ? await db.selectFrom("user").select(["id", "email", "name", "role", "twoFactorEnabled", "isAnonymous"]).where("id", "=", params.data.id).executeTakeFirst()
      : undefined;
    if (!target || target.isAnonymous) throw new ApiError(404, "USER_NOT_FOUND", "There is no such account.");
    const refusal = rankRefusal({ id: caller.userId, role: caller.user.role }, target, true);
    if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
    return { actor: caller.user, target };
  }

  route(app, postPasswordReset, async (c) => {
    const { actor, target } = await adminOn(c);
    const { reason } = await jsonBody(c, passwordResetByStaffBody);
    // Better Auth's own reset request: its link, its expiry, our mail outbox.
    await s.auth.api.requestPasswordReset({ body: { email: target.email, redirectTo: "/reset-password" } });
    await s.audit.record({ type: "password_reset_requested", userId: target.id, detail: { by: actor.id, byRole: actor.role, reason: reason ?? null } });
    return c.json({ status: "sent" as const }, 202);
  });

  route(app, deleteSecondFactor, async (c) => {
    const { actor, target } = await adminOn(c);
    const { reason } = await jsonBody(c, secondFactorResetBody);
    const off = (s.db.kind === "sqlite" ? 0 : false) as never;
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("twoFactor").where("userId", "=", target.id).execute();
      await trx.updateTable("user").set({ twoFactorEnabled: off }).where("id", "=", target.id).execute();
    });
    s.userEvents.changed(target.id);
    await s.audit.record({
      type: "two_factor_disabled",
      userId: target.id,
      detail: { by: actor.id, byRole: actor.role, reason, before: { twoFactorEnabled: Boolean(target.twoFactorEnabled) }, after: { twoFactorEnabled: false } },
    });
    await s.mailer.enqueue(
      secondFactorNoticeMessage({ to: target.email, name: target.name, change: "removed", when: new Date(), resetUrl: `${s.config.baseURL}/forgot-password` }),
    );
    return c.json({ twoFactorEnabled: false as const });
  });

  route(app, getOverview, async (c) => {
    await admin(c, { moderators: true });
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY);
    const since = (today - 29) * DAY;
    const no = s.db.kind === "sqlite" ? sql`0` : sql`false`;
    const accounts = await db
      .selectFrom("user")
      .select([
        sql<number>`count(*)`.as("total"),
        sql<number>`sum(case when "role" = 'moderator' then 1 else 0 end)`.as("moderator"),
        sql<number>`sum(case when "role" = 'admin' then 1 else 0 end)`.as("admin"),
        sql<number>`sum(case when "banned" then 1 else 0 end)`.as("banned"),
        sql<number>`sum(case when "twoFactorEnabled" then 1 else 0 end)`.as("withSecondFactor"),
      ])
      .where(sql<boolean>`coalesce("isAnonymous", ${no}) = ${no}`)
      .executeTakeFirstOrThrow();
    /** Day-by-day counts of the last 30 days, oldest first, a zero for a day without any. */
    const perDay = async (rows: Promise<{ d: number | string; n: number | string }[]>) => {
      const byDay = new Map((await rows).map((r) => [Number(r.d), Number(r.n)]));
      return Array.from({ length: 30 }, (_, i) => today - 29 + i).map((d) => ({ day: new Date(d * DAY).toISOString().slice(0, 10), count: byDay.get(d) ?? 0 }));
    };
    const events = (type: string) =>
      perDay(
        db
          .selectFrom("security_event")
          .select([sql<number>`created_at / ${sql.lit(DAY)}`.as("d"), sql<number>`count(*)`.as("n")])
          .where("type", "=", type)
          .where("created_at", ">=", since)
          .groupBy(sql`created_at / ${sql.lit(DAY)}`)
          .execute(),
      );
    const questions = perDay(
      db
        .selectFrom("message")
        .select([sql<number>`message.created_at / ${sql.lit(DAY)}`.as("d"), sql<number>`count(*)`.as("n")])
        .where("role", "=", "user")
        .where("created_at", ">=", since)
        .groupBy(sql`message.created_at / ${sql.lit(DAY)}`)
        .execute(),
    );
    const active = await db
      .selectFrom("message")
      .innerJoin("chat", "chat.id", "message.chat_id")
      .select(sql<number>`count(distinct chat.owner_id)`.as("n"))
      .where("message.role", "=", "user")
      .where("message.created_at", ">=", since)
      .executeTakeFirstOrThrow();
    const total = Number(accounts.total);
    const moderator = Number(accounts.moderator ?? 0);
    const adminCount = Number(accounts.admin ?? 0);
    return c.json({
      accounts: {
        total,
        byRole: { user: total - moderator - adminCount, moderator, admin: adminCount },
        banned: Number(accounts.banned ?? 0),
        withSecondFactor: Number(accounts.withSecondFactor ?? 0),
      },
      activeReaders: Number(active.n),
      signUpsPerDay: await events("sign_up"),
      questionsPerDay: await questions,
      failedSignInsPerDay: await events("sign_in_failed"),
      throttledSignInsPerDay: await events("sign_in_throttled"),
    });
  });

  route(app, getAudit, async (c) => {
    await admin(c);
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
    const events = page.map((r) => ({
      id: r.id,
      type: r.type,
      userId: r.user_id,
      actorId: r.actor_id,
      ip: r.ip,
      userAgent: r.user_agent,
      detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
      createdAt: new Date(Number(r.created_at)).toISOString(),
    }));
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

/** At most this many rows in one CSV export (a narrower filter gets the rest). */
const CSV_MAX_ROWS = 10_000;

/**
 * RFC 4180 CSV of audit events. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`,
 * a tab or a carriage return first: a name or user agent an attacker chose) is prefixed with `'`.
 */
export function auditCsv(events: { id: string; type: string; userId: string | null; actorId: string | null; ip: string | null; userAgent: string | null; detail: Record<string, unknown> | null; createdAt: string }[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const header = ["time", "type", "user", "actor", "ip", "user_agent", "detail", "id"];
  const lines = events.map((e) => [e.createdAt, e.type, e.userId, e.actorId, e.ip, e.userAgent, e.detail, e.id].map(cell).join(","));
  return [header.join(","), ...lines].join("\r\n") + "\r\n";
}
