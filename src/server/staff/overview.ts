import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { Services } from "../services.ts";
import type { CallerEnv } from "../http/env.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { staffOverview } from "../../shared/api/staff.ts";
import { staffGuard } from "./guard.ts";

/** GET /api/v1/staff/overview: the console's first page (staff). */
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

export function overviewRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  const db = s.db.kysely;
  const { staff } = staffGuard(s);

  route(app, getOverview, async (c) => {
    await staff(c);
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

  return app;
}
