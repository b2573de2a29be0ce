import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Services } from "../services.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { rankRefusal, secondFactorRefusal } from "../auth/staff-rules.ts";
import { sessionPassedSecondFactor } from "../auth/plugins/second-factor.ts";
import { secondFactorNoticeMessage } from "../email/templates.ts";
import {
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

export function staffRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  app.use("*", s.callers.requireCaller());
  const db = s.db.kysely;

  /** The admin acting and the account acted on, or the refusal. */
  async function adminOn(c: Context<CallerEnv>) {
    const caller = c.get("caller");
    if (caller.user.role !== "admin") throw new ApiError(403, "FORBIDDEN", "Only admins can do this.");
    if (s.config.env.STAFF_REQUIRE_2FA) {
      const row = await db.selectFrom("user").select("twoFactorEnabled").where("id", "=", caller.userId).executeTakeFirst();
      const enrolled = Boolean(row?.twoFactorEnabled);
      // A token for an account with a factor was issued only with its code (token API).
      const passed = enrolled && (caller.via === "bearer" || (caller.sessionId ? await sessionPassedSecondFactor(s, caller.sessionId) : false));
      const refusal = secondFactorRefusal(enrolled, passed);
      if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
    }
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

  return app;
}
