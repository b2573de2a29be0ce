import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";

/** Better Auth's routes that check a second factor; a 200 from one means the code was right. */
const VERIFY_PATHS = new Set(["/two-factor/verify-totp", "/two-factor/verify-backup-code", "/two-factor/verify-otp"]);

/** How long a used TOTP code stays refused: its own 30-second window and the one on each side that Better Auth accepts. */
const TOTP_REUSE_MS = 90_000;

/**
 * What Better Auth's two-factor plugin leaves to us:
 *
 * - **a TOTP code is used once** (ASVS 6.5.1): Better Auth accepts the same code again for as
 *   long as it is valid. Each code is claimed for its account before Better Auth checks it (two
 *   requests at once cannot both use it) and given back if Better Auth refuses it;
 * - **sessions that passed a second factor** are recorded (table session_factor): the session a
 *   right code opens at sign-in, or the one in which a first code confirmed an enrolment. Staff
 *   routes ask for such a session (STAFF_REQUIRE_2FA, plugins/staff.ts).
 */
export function secondFactorPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { db, usedTokens } = deps;
  /** Codes claimed by this request, to give back if Better Auth refuses them. */
  const claimed = new WeakMap<Request, string>();

  /** The account a TOTP is being checked for: the signed-in one (enrolment), or the sign-in waiting for its code. */
  async function accountOf(ctx: Parameters<Parameters<typeof createAuthMiddleware>[0]>[0]): Promise<string | null> {
    const session = await getSessionFromCtx(ctx).catch(() => null);
    if (session) return session.user.id;
    const cookie = ctx.context.createAuthCookie("two_factor");
    const identifier = await ctx.getSignedCookie(cookie.name, ctx.context.secret);
    if (!identifier) return null;
    return (await ctx.context.internalAdapter.findVerificationValue(identifier))?.value ?? null;
  }

  return {
    id: "aibook-second-factor",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === "/two-factor/verify-totp",
          handler: createAuthMiddleware(async (ctx) => {
            const code = (ctx.body as { code?: unknown } | undefined)?.code;
            if (typeof code !== "string" || !ctx.request) return;
            const userId = await accountOf(ctx);
            if (!userId) return; // Better Auth answers (no session, no pending sign-in)
            const key = `${userId}:${code.trim()}`;
            if (!(await usedTokens.claim("totp", key, Date.now() + TOTP_REUSE_MS))) {
              throw new APIError("UNAUTHORIZED", { code: "INVALID_CODE", message: "This code was already used: wait for the next one." });
            }
            claimed.set(ctx.request, key);
          }),
        },
      ],
      after: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === "/two-factor/verify-totp",
          handler: createAuthMiddleware(async (ctx) => {
            const key = ctx.request ? claimed.get(ctx.request) : undefined;
            if (!key) return;
            claimed.delete(ctx.request!);
            const returned = ctx.context.returned as { statusCode?: unknown } | null;
            const refused = returned instanceof Error || (typeof returned?.statusCode === "number" && returned.statusCode >= 400);
            if (refused) await usedTokens.release("totp", key);
          }),
        },
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
