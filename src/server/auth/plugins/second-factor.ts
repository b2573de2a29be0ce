import type { BetterAuthPlugin } from "better-auth";
import { createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";

/** Better Auth's routes that check a second factor; a 200 from one means the code was right. */
const VERIFY_PATHS = new Set(["/two-factor/verify-totp", "/two-factor/verify-backup-code", "/two-factor/verify-otp"]);

/**
 * Marks the sessions that passed a second factor (table session_factor): the session a right
 * code opens at sign-in, or the session in which a first code confirmed an enrolment. Staff
 * routes ask for such a session (STAFF_REQUIRE_2FA, plugins/staff.ts).
 */
export function secondFactorPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { db } = deps;
  return {
    id: "aibook-second-factor",
    hooks: {
      after: [
        {
          matcher: (ctx: { path?: string }) => VERIFY_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const returned = ctx.context.returned as { token?: unknown; statusCode?: unknown } | null;
            if (!returned || returned instanceof Error || (typeof returned.statusCode === "number" && returned.statusCode >= 400)) return;
            // The session the code opened, or (confirming an enrolment) the one Better Auth put in
            // place of the current session; else the request's own.
            let sessionId: string | null = ctx.context.newSession?.session.id ?? null;
            if (!sessionId && typeof returned.token === "string") {
              sessionId = (await ctx.context.internalAdapter.findSession(returned.token))?.session.id ?? null;
            }
            sessionId ??= (await getSessionFromCtx(ctx).catch(() => null))?.session.id ?? null;
            if (!sessionId) return;
            await db.kysely
              .insertInto("session_factor")
              .values({ session_id: sessionId, verified_at: Date.now() })
              .onConflict((oc) => oc.column("session_id").doNothing())
              .execute();
          }),
        },
      ],
    },
  };
}

/** Whether this session passed a second factor. */
export async function sessionPassedSecondFactor(deps: Pick<AuthDeps, "db">, sessionId: string): Promise<boolean> {
  const row = await deps.db.kysely.selectFrom("session_factor").select("session_id").where("session_id", "=", sessionId).executeTakeFirst();
  return Boolean(row);
}
