import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { sql, type Expression, type Selectable, type SqlBool } from "kysely";
import type { Services } from "../services.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { secondFactorNoticeMessage } from "../email/templates.ts";
import type { UserTable } from "../db/schema.ts";
import {
  passwordResetByStaffBody,
  passwordResetByStaffResponse,
  secondFactorResetBody,
  secondFactorResetResponse,
  staffRevokeSessionBody,
  staffSessionParams,
  staffUserDetail,
  staffUserParams,
  staffUsersPage,
  staffUsersQuery,
  type StaffUserSummary,
} from "../../shared/api/staff.ts";
import { isBannedNow } from "../auth/ban.ts";
import { auditEventOf } from "./audit.ts";
import { staffGuard } from "./guard.ts";

/**
 * /api/v1/staff/users: the readers staff look after. Searching and reading an account's page
 * (moderators: readers only), ending one session by its id (the token is never shown), and what
 * Better Auth's admin routes do not do: send a password-reset link (nobody chooses a reader's
 * password, ASVS 6.4.6) and take away a lost second factor (admins). Bans, roles and removal are
 * Better Auth's own admin routes (auth/plugins/staff.ts). Every change is audited on the reader's
 * activity.
 */
const json = (schema: Parameters<typeof jsonResponse>[0]) => ({ required: true, content: { "application/json": { schema } } });

const oneAccountErrors = (forbidden: string) => ({
  ...errorResponses(400, 401),
  403: errorResponse(403, forbidden),
  404: errorResponse(404, "USER_NOT_FOUND"),
});

const listUsers = createRoute({
  method: "get",
  path: "/users",
  summary: "Accounts, searched by email or name, filtered, sorted and paged (staff; guests left out)",
  request: { query: staffUsersQuery },
  responses: {
    200: jsonResponse(staffUsersPage, "A page of accounts and how many match"),
    ...errorResponses(400, 401),
    403: errorResponse(403, "FORBIDDEN (not staff), TWO_FACTOR_REQUIRED"),
  },
});

const getUser = createRoute({
  method: "get",
  path: "/users/{id}",
  summary: "An account's page: profile, sessions (no tokens), security activity, chat counts (staff; moderators: readers only)",
  request: { params: staffUserParams },
  responses: { 200: jsonResponse(staffUserDetail, "The account"), ...oneAccountErrors("FORBIDDEN, TARGET_IS_STAFF, TWO_FACTOR_REQUIRED") },
});

const deleteSession = createRoute({
  method: "delete",
  path: "/users/{id}/sessions/{sessionId}",
  summary: "End one of an account's sessions (staff; moderators: readers only)",
  request: { params: staffSessionParams, body: { ...json(staffRevokeSessionBody), required: false } },
  responses: {
    204: { description: "The session has ended" },
    ...oneAccountErrors("FORBIDDEN, TARGET_IS_STAFF, NOT_ON_YOURSELF, TWO_FACTOR_REQUIRED"),
  },
});

const postPasswordReset = createRoute({
  method: "post",
  path: "/users/{id}/password-reset",
  summary: "Send a reader a password-reset link (admins)",
  request: { params: staffUserParams, body: json(passwordResetByStaffBody) },
  responses: {
    202: jsonResponse(passwordResetByStaffResponse, "The link is on its way to the reader's address"),
    ...oneAccountErrors("FORBIDDEN (not an admin), NOT_ON_YOURSELF, TWO_FACTOR_REQUIRED"),
  },
});

const deleteSecondFactor = createRoute({
  method: "delete",
  path: "/users/{id}/second-factor",
  summary: "Turn off a reader's second factor, with a reason (admins)",
  request: { params: staffUserParams, body: json(secondFactorResetBody) },
  responses: {
    200: jsonResponse(secondFactorResetResponse, "The reader signs in with their password alone until they enrol again"),
    ...oneAccountErrors("FORBIDDEN (not an admin), NOT_ON_YOURSELF, TWO_FACTOR_REQUIRED"),
  },
});

/** `%`, `_` and `\` taken literally in a LIKE pattern (with ESCAPE '\'). */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

const iso = (value: Date | string | number | null | undefined): string | null => (value === null || value === undefined ? null : new Date(value).toISOString());

/** An account as staff see it; a ban past its expiry counts as lifted (Better Auth lifts it at the next sign-in). */
export function summaryOf(u: Selectable<UserTable>, now = Date.now()): StaffUserSummary {
  const banExpires = iso(u.banExpires);
  const banned = isBannedNow(u, now);
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role === "admin" || u.role === "moderator" ? u.role : "user",
    emailVerified: Boolean(u.emailVerified),
    twoFactorEnabled: Boolean(u.twoFactorEnabled),
    banned,
    banReason: banned ? u.banReason : null,
    banExpires: banned ? banExpires : null,
    createdAt: iso(u.createdAt)!,
  };
}

export function readerRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  const db = s.db.kysely;
  const { staff, staffOn } = staffGuard(s);
  const bool = (on: boolean) => (s.db.kind === "sqlite" ? (on ? 1 : 0) : on) as never;

  route(app, listUsers, async (c) => {
    await staff(c);
    const q = staffUsersQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", "Check the filters: q, role, banned, verified, twoFactor (true or false), sort (createdAt, email, name), order (asc, desc), page, limit (1..100).");
    const { q: text, role, banned, verified, twoFactor, sort, order, page, limit } = q.data;
    const now = new Date().toISOString();
    const filters: Expression<SqlBool>[] = [sql<SqlBool>`coalesce("isAnonymous", ${bool(false)}) = ${bool(false)}`];
    if (text) {
      const pattern = `%${likeLiteral(text.toLowerCase())}%`;
      filters.push(sql<SqlBool>`(lower("email") like ${pattern} escape '\\' or lower("name") like ${pattern} escape '\\')`);
    }
    if (role === "user") filters.push(sql<SqlBool>`("role" is null or "role" not in ('moderator', 'admin'))`);
    else if (role) filters.push(sql<SqlBool>`"role" = ${role}`);
    const bannedNow = sql<SqlBool>`(coalesce("banned", ${bool(false)}) = ${bool(true)} and ("banExpires" is null or "banExpires" > ${now}))`;
    if (banned) filters.push(banned === "true" ? bannedNow : sql<SqlBool>`not ${bannedNow}`);
    if (verified) filters.push(sql<SqlBool>`"emailVerified" = ${bool(verified === "true")}`);
    if (twoFactor) filters.push(sql<SqlBool>`coalesce("twoFactorEnabled", ${bool(false)}) = ${bool(twoFactor === "true")}`);
    const where = (eb: { and(e: Expression<SqlBool>[]): Expression<SqlBool> }) => eb.and(filters);
    const [rows, count] = await Promise.all([
      db
        .selectFrom("user")
        .selectAll()
        .where(where)
        // Names and addresses in any case, the same on both databases (whatever PostgreSQL's collation).
        .orderBy(sort === "createdAt" ? sql`"createdAt"` : sql`lower(${sql.ref(sort)})`, order)
        .orderBy("id", order)
        .limit(limit)
        .offset((page - 1) * limit)
        .execute(),
      db.selectFrom("user").select(sql<number>`count(*)`.as("n")).where(where).executeTakeFirstOrThrow(),
    ]);
    return c.json({ users: rows.map((u) => summaryOf(u)), total: Number(count.n), page, limit });
  });

  route(app, getUser, async (c) => {
    const { target } = await staffOn(c, { changes: false });
    const [sessions, factors, events, chats, accounts] = await Promise.all([
      db
        .selectFrom("session")
        .select(["id", "createdAt", "updatedAt", "expiresAt", "ipAddress", "userAgent"])
        .where("userId", "=", target.id)
        .where("expiresAt", ">", new Date().toISOString())
        .orderBy("updatedAt", "desc")
        .execute(),
      db
        .selectFrom("session_factor")
        .innerJoin("session", "session.id", "session_factor.session_id")
        .select("session_factor.session_id")
        .where("session.userId", "=", target.id)
        .execute(),
      db.selectFrom("security_event").selectAll().where("user_id", "=", target.id).orderBy("created_at", "desc").orderBy("id", "desc").limit(50).execute(),
      db
        .selectFrom("chat")
        .leftJoin("message", (join) => join.onRef("message.chat_id", "=", "chat.id").on("message.role", "=", "user"))
        .select([sql<number>`count(distinct chat.id)`.as("chats"), sql<number>`count(message.id)`.as("questions")])
        .where("chat.owner_id", "=", target.id)
        .executeTakeFirstOrThrow(),
      db.selectFrom("account").select("providerId").where("userId", "=", target.id).execute(),
    ]);
    const passed = new Set(factors.map((f) => f.session_id));
    return c.json({
      user: summaryOf(target),
      sessions: sessions.map((x) => ({
        id: x.id,
        createdAt: iso(x.createdAt)!,
        updatedAt: iso(x.updatedAt)!,
        expiresAt: iso(x.expiresAt)!,
        ip: x.ipAddress,
        userAgent: x.userAgent,
        secondFactor: passed.has(x.id),
      })),
      activity: events.map(auditEventOf),
      chats: { count: Number(chats.chats), questions: Number(chats.questions) },
      signInMethods: [...new Set(accounts.map((a) => a.providerId))].sort(),
    });
  });

  route(app, deleteSession, async (c) => {
    const { actor, target } = await staffOn(c, { changes: true });
    const { reason } = await jsonBody(c, staffRevokeSessionBody, { optional: true });
    const session = await db
      .selectFrom("session")
      .select(["id", "token"])
      .where("id", "=", c.req.param("sessionId") ?? "")
      .where("userId", "=", target.id)
      .executeTakeFirst();
    if (!session) throw new ApiError(404, "SESSION_NOT_FOUND", "That session has already ended.");
    // Through Better Auth, so a session cache (secondary storage) forgets it too.
    const ctx = await s.auth.$context;
    await ctx.internalAdapter.deleteSession(session.token);
    s.userEvents.changed(target.id);
    await s.audit.record({ type: "session_revoked", userId: target.id, detail: { by: actor.id, byRole: actor.role, reason: reason ?? null, sessionId: session.id } });
    return c.body(null, 204);
  });

  route(app, postPasswordReset, async (c) => {
    const { actor, target } = await staffOn(c, { admins: true, changes: true });
    const { reason } = await jsonBody(c, passwordResetByStaffBody);
    // Better Auth's own reset request: its link, its expiry, our mail outbox.
    await s.auth.api.requestPasswordReset({ body: { email: target.email, redirectTo: "/reset-password" } });
    await s.audit.record({ type: "password_reset_requested", userId: target.id, detail: { by: actor.id, byRole: actor.role, reason: reason ?? null } });
    return c.json({ status: "sent" as const }, 202);
  });

  route(app, deleteSecondFactor, async (c) => {
    const { actor, target } = await staffOn(c, { admins: true, changes: true });
    const { reason } = await jsonBody(c, secondFactorResetBody);
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("twoFactor").where("userId", "=", target.id).execute();
      await trx.updateTable("user").set({ twoFactorEnabled: bool(false) }).where("id", "=", target.id).execute();
    });
    s.userEvents.changed(target.id);
    // A factor set up again later must not find the old devices still trusted.
    await s.trustedDevices.forgetAll(target.id, "two_factor_disabled");
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

  return app;
}
