import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import { sql } from "kysely";
import type { AuthDeps } from "../auth.ts";
import { isErrorAnswer } from "../better-auth/endpoint.ts";
import { errorBody } from "../../http/errors.ts";
import { sessionPassedSecondFactor } from "./second-factor.ts";
import { rankRefusal, secondFactorRefusal } from "../staff-rules.ts";
import { isRole, rankOf, type Role } from "../../../shared/roles.ts";

/**
 * The rules Better Auth's admin routes (/api/auth/admin/*) lack, around its own access control
 * (auth/roles.ts says which role may call which route):
 *
 * - **a second factor** (STAFF_REQUIRE_2FA, the default): staff act only from a session that
 *   passed one (plugins/second-factor.ts), else 403 TWO_FACTOR_REQUIRED;
 * - **rank**: a staff member acts only on accounts ranked below them: a moderator on readers,
 *   never on a moderator or an admin; an admin on anyone, but never on their own account
 *   (banning, demoting, removing or signing out oneself);
 * - **the last admin** can be neither demoted, banned nor removed. An admin is removed only once
 *   demoted; a demotion or ban that leaves no admin (two admins demoting each other at once) is
 *   undone after the fact and answered 409;
 * - **a ban states its reason** (shown to the reader's security activity and the audit log);
 *   an expiry is optional, and the ban lifts itself then (Better Auth's session hook; ours in
 *   the caller check and the token API);
 * - **routes nobody uses over HTTP**: choosing a reader's password (ASVS 6.4.6), creating or
 *   editing accounts, impersonation, and any admin route this list does not know (a Better Auth
 *   upgrade adding one stays closed until reviewed);
 * - **every change is audited** on the target's security events, with the actor, their role,
 *   the reason, and the state before and after; a ban or "sign out everywhere" also ends the
 *   reader's refresh-token families and access tokens, and every per-user cache is dropped.
 *
 * Server-side calls (`auth.api.*`, no HTTP request) are our own code and pass.
 */
type Ctx = {
  path?: string;
  request?: Request;
  body?: Record<string, unknown>;
  query?: Record<string, unknown>;
  context: {
    returned?: unknown;
    internalAdapter: {
      findUserById(id: string): Promise<{ id: string; role?: string | null; banned?: boolean | null } | null>;
      findSession(token: string): Promise<{ session: { userId: string } } | null>;
    };
  };
};

interface StaffRoute {
  /** The account acted on, if the route has one. */
  target(ctx: Ctx): string | null | Promise<string | null>;
  /** Changes the account (else a read). */
  changes: boolean;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);
const bodyUser = (ctx: Ctx) => str(ctx.body?.userId);

const ROUTES: Record<string, StaffRoute> = {
  "/admin/list-users": { target: () => null, changes: false },
  "/admin/has-permission": { target: () => null, changes: false },
  "/admin/get-user": { target: (ctx) => str(ctx.query?.id), changes: false },
  "/admin/list-user-sessions": { target: bodyUser, changes: false },
  "/admin/revoke-user-session": {
    target: async (ctx) => {
      const token = str(ctx.body?.sessionToken);
      return token ? ((await ctx.context.internalAdapter.findSession(token))?.session.userId ?? null) : null;
    },
    changes: true,
  },
  "/admin/revoke-user-sessions": { target: bodyUser, changes: true },
  "/admin/ban-user": { target: bodyUser, changes: true },
  "/admin/unban-user": { target: bodyUser, changes: true },
  "/admin/set-role": { target: bodyUser, changes: true },
  "/admin/remove-user": { target: bodyUser, changes: true },
};

const lastAdmin = () => refuse("CONFLICT", "LAST_ADMIN", "This is the last admin: make someone else admin first.");

const MAX_REASON = 500;
/** Ten years: a longer ban is a permanent one (no expiry). */
const MAX_BAN_SECONDS = 10 * 365 * 86_400;

/** Whether this call takes an admin out of action (demoted or banned). */
const losesAdmin = (ctx: Ctx) => ctx.path === "/admin/ban-user" || (ctx.path === "/admin/set-role" && ctx.body?.role !== "admin");

const refuse = (status: "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT", code: string, message: string) => new APIError(status, { code, message });

interface Pending {
  actor: { id: string; role: Role };
  target: { id: string; role: string; banned: boolean };
  reason: string | null;
}

export function staffPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { audit, db } = deps;
  /** What the before-hook found, for the after-hook of the same request. */
  const pending = new WeakMap<object, Pending>();
  const keyOf = (ctx: Ctx): object => ctx.request ?? ctx.context;

  /** Admins other than `exceptId` who can still act (not banned). */
  async function otherAdmins(exceptId: string): Promise<number> {
    const row = await db.kysely
      .selectFrom("user")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("role", "=", "admin")
      .where("id", "!=", exceptId)
      .where(db.kind === "sqlite" ? sql<boolean>`coalesce("banned", 0) = 0` : sql<boolean>`coalesce("banned", false) = false`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  function reasonOf(ctx: Ctx, required: boolean): string | null {
    const given = ctx.path === "/admin/ban-user" ? ctx.body?.banReason : ctx.body?.reason;
    const reason = typeof given === "string" ? given.trim() : "";
    if (reason.length > MAX_REASON) throw refuse("BAD_REQUEST", "REASON_TOO_LONG", `Keep the reason under ${MAX_REASON} characters.`);
    if (!reason && required) throw refuse("BAD_REQUEST", "REASON_REQUIRED", "Say why: the reader sees the reason in their account's activity.");
    return reason || null;
  }

  async function check(ctx: Ctx): Promise<void> {
    if (!ctx.request) return; // our own server-side calls
    const path = ctx.path ?? "";
    const route = ROUTES[path];
    if (!route) throw refuse("FORBIDDEN", "STAFF_ACTION_DISABLED", "This action is not available: nobody chooses a reader's password, creates or edits accounts, or signs in as someone else.");
    const session = await getSessionFromCtx(ctx as never).catch(() => null);
    // No session: Better Auth answers 401. A reader: its access control answers 403.
    if (!session || rankOf(session.user.role) === 0) return;
    const actor = { id: session.user.id, role: (isRole(session.user.role) ? session.user.role : "user") as Role };
    if (deps.config.env.STAFF_REQUIRE_2FA) {
      const enrolled = Boolean((session.user as { twoFactorEnabled?: boolean | null }).twoFactorEnabled);
      const refusal = secondFactorRefusal(enrolled, enrolled && (await sessionPassedSecondFactor(deps, session.session.id)));
      if (refusal) throw refuse("FORBIDDEN", refusal.code, refusal.message);
    }
    const targetId = await route.target(ctx);
    if (!targetId) return; // no account named (or none found): Better Auth answers
    const target = await ctx.context.internalAdapter.findUserById(targetId);
    if (!target) return;
    const refusal = rankRefusal(actor, target, route.changes);
    if (refusal) throw refuse("FORBIDDEN", refusal.code, refusal.message);
    if (!route.changes) return;

    const reason = reasonOf(ctx, path === "/admin/ban-user");
    if (path === "/admin/ban-user") {
      const expiresIn = ctx.body?.banExpiresIn;
      if (expiresIn !== undefined && expiresIn !== null && (typeof expiresIn !== "number" || !Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_BAN_SECONDS)) {
        throw refuse("BAD_REQUEST", "INVALID_BAN_EXPIRY", "banExpiresIn is a whole number of seconds from 60 to ten years; leave it out for a ban without end.");
      }
    }
    if (path === "/admin/set-role" && !isRole(ctx.body?.role)) {
      throw refuse("BAD_REQUEST", "INVALID_ROLE", "role must be one of user, moderator, admin.");
    }
    if (path === "/admin/remove-user" && target.role === "admin") {
      throw refuse("CONFLICT", "DEMOTE_FIRST", "An admin's account is removed only after they are no longer admin.");
    }
    if (target.role === "admin" && losesAdmin(ctx) && (await otherAdmins(target.id)) === 0) throw lastAdmin();
    pending.set(keyOf(ctx), { actor, target: { id: target.id, role: target.role ?? "user", banned: Boolean(target.banned) }, reason });
  }

  const succeeded = (ctx: Ctx) => !isErrorAnswer(ctx.context.returned);

  async function record(ctx: Ctx): Promise<Response | void> {
    const done = pending.get(keyOf(ctx));
    if (!done) return;
    pending.delete(keyOf(ctx));
    if (!succeeded(ctx)) return;
    const { actor, target, reason } = done;
    const by = { by: actor.id, byRole: actor.role, reason };
    deps.userChanged(target.id);
    // Two admins demoting (or banning) each other at once both passed the check: undo, keep them.
    if (target.role === "admin" && losesAdmin(ctx) && (await otherAdmins("")) === 0) {
      const notBanned = (db.kind === "sqlite" ? 0 : false) as never;
      await db.kysely.updateTable("user").set({ role: "admin", banned: notBanned, banReason: null, banExpires: null }).where("id", "=", target.id).execute();
      deps.userChanged(target.id);
      // A Response: for an error thrown by an after-hook, Better Auth would keep the endpoint's 200.
      const { code, message } = lastAdmin().body as { code: string; message: string };
      return new Response(JSON.stringify(errorBody(code, message)), { status: 409, headers: { "content-type": "application/json" } });
    }
    switch (ctx.path) {
      case "/admin/ban-user": {
        const seconds = typeof ctx.body?.banExpiresIn === "number" ? ctx.body.banExpiresIn : null;
        await deps.revokeRefreshTokens(target.id, "banned");
        await deps.cutAccessTokens(target.id);
        await deps.trustedDevices.forgetAll(target.id, "banned");
        const expiresAt = seconds ? new Date(Date.now() + seconds * 1000).toISOString() : null;
        await audit.record({ type: "user_banned", userId: target.id, detail: { ...by, expiresAt, before: { banned: target.banned }, after: { banned: true } } });
        return;
      }
      case "/admin/unban-user":
        await audit.record({ type: "user_unbanned", userId: target.id, detail: { ...by, before: { banned: target.banned }, after: { banned: false } } });
        return;
      case "/admin/set-role":
        await audit.record({ type: "role_changed", userId: target.id, detail: { ...by, to: ctx.body?.role, before: { role: target.role }, after: { role: ctx.body?.role } } });
        return;
      case "/admin/remove-user":
        // The account and its events are gone: the line stays, without a link to a user.
        await audit.record({ type: "user_removed", userId: null, detail: { ...by, userId: target.id, before: { role: target.role } } });
        return;
      case "/admin/revoke-user-sessions":
        await deps.revokeRefreshTokens(target.id, "revoked_by_staff");
        await deps.cutAccessTokens(target.id);
        await audit.record({ type: "sessions_revoked", userId: target.id, detail: { ...by, others: false } });
        return;
      case "/admin/revoke-user-session":
        await audit.record({ type: "session_revoked", userId: target.id, detail: by });
        return;
    }
  }

  return {
    id: "aibook-staff",
    hooks: {
      before: [{ matcher: (ctx: { path?: string }) => (ctx.path ?? "").startsWith("/admin/"), handler: createAuthMiddleware(async (ctx) => check(ctx as unknown as Ctx)) }],
      after: [{ matcher: (ctx: { path?: string }) => (ctx.path ?? "").startsWith("/admin/"), handler: createAuthMiddleware(async (ctx) => record(ctx as unknown as Ctx)) }],
    },
  };
}
