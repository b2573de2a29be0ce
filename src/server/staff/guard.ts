import type { Context } from "hono";
import type { Services } from "../services.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { rankRefusal, secondFactorRefusal } from "../auth/staff-rules.ts";
import { sessionPassedSecondFactor } from "../auth/plugins/second-factor.ts";
import { staffUserParams } from "../../shared/api/staff.ts";

/**
 * Who may call a staff route, with the rules of Better Auth's admin routes (auth/staff-rules.ts):
 * staff only (admins only where `admins`), with a second factor passed in this session when
 * STAFF_REQUIRE_2FA, and, for a route about one account, ranked above it (a moderator sees
 * readers only) and never changing their own.
 */
export function staffGuard(s: Services) {
  const db = s.db.kysely;

  /** The staff member calling, or the refusal. */
  async function staff(c: Context<CallerEnv>, { admins = false }: { admins?: boolean } = {}) {
    const caller = c.get("caller");
    const allowed = caller.user.role === "admin" || (!admins && caller.user.role === "moderator");
    if (!allowed) throw new ApiError(403, "FORBIDDEN", admins ? "Only admins can do this." : "Only staff can see this.");
    if (s.config.env.STAFF_REQUIRE_2FA) {
      const row = await db.selectFrom("user").select("twoFactorEnabled").where("id", "=", caller.userId).executeTakeFirst();
      const enrolled = Boolean(row?.twoFactorEnabled);
      // A token for an account with a factor was issued only with its code (token API).
      const passed = enrolled && (caller.via === "bearer" || (caller.sessionId ? await sessionPassedSecondFactor(s, caller.sessionId) : false));
      const refusal = secondFactorRefusal(enrolled, passed);
      if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
    }
    return caller.user;
  }

  /** The staff member acting and the account (`:id`) acted on or looked at, or the refusal. Guests are not accounts. */
  async function staffOn(c: Context<CallerEnv>, { admins = false, changes }: { admins?: boolean; changes: boolean }) {
    const actor = await staff(c, { admins });
    const params = staffUserParams.safeParse({ id: c.req.param("id") });
    const target = params.success
      ? await db.selectFrom("user").selectAll().where("id", "=", params.data.id).executeTakeFirst()
      : undefined;
    if (!target || target.isAnonymous) throw new ApiError(404, "USER_NOT_FOUND", "There is no such account.");
    const refusal = rankRefusal({ id: actor.id, role: actor.role }, target, changes);
    if (refusal) throw new ApiError(refusal.status, refusal.code, refusal.message);
    return { actor, target };
  }

  return { staff, staffOn };
}
