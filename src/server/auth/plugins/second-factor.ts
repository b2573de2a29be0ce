import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";
import { isErrorAnswer } from "../better-auth/endpoint.ts";
import { pendingSecondFactorUserId } from "../better-auth/two-factor.ts";
import { queueMail } from "../mail.ts";
import { secondFactorNoticeMessage, type SecondFactorChange } from "../../email/templates.ts";

/** What each successful route changes, for the reader's activity and a notice by mail. */
const NOTICES: Record<string, { event: "two_factor_enabled" | "two_factor_disabled" | "recovery_code_used"; change: SecondFactorChange }> = {
  "/two-factor/disable": { event: "two_factor_disabled", change: "removed" },
  "/two-factor/verify-backup-code": { event: "recovery_code_used", change: "recovery-code-used" },
};

/** Better Auth's routes that check a second factor; a 200 from one means the code was right. */
const VERIFY_PATHS = new Set(["/two-factor/verify-totp", "/two-factor/verify-backup-code", "/two-factor/verify-otp"]);

type HookContext = Parameters<Parameters<typeof createAuthMiddleware>[0]>[0];

/** How long a used TOTP code stays refused: its own 30-second window and the one on each side that Better Auth accepts. */
export const TOTP_REUSE_MS = 90_000;

/** The single-use claim of a TOTP code for an account (used_token, purpose "totp"): one key wherever a code is checked. */
export const totpClaimKey = (userId: string, code: string) => `${userId}:${code.trim()}`;

/**
 * What Better Auth's two-factor plugin leaves to us:
 *
 * - **a TOTP code is used once** (ASVS 6.5.1): Better Auth accepts the same code again for as
 *   long as it is valid. Each code is claimed for its account before Better Auth checks it (two
 *   requests at once cannot both use it) and given back if Better Auth refuses it;
 * - **notices**: adding or removing a factor and using a recovery code are in the reader's
 *   security activity and sent to their address (ASVS 6.3.7);
 * - **sessions that passed a second factor** are recorded (table session_factor): the session a
 *   right code opens at sign-in, or the one in which a first code confirmed an enrolment. Staff
 *   routes ask for such a session (STAFF_REQUIRE_2FA, plugins/staff.ts).
 */
export function secondFactorPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { db, usedTokens, recoveryCodes } = deps;
  /** Codes claimed by this request, to give back if Better Auth refuses them. */
  const claimed = new WeakMap<Request, string>();
  /** Requests confirming an enrolment (a signed-in account without a factor yet). */
  const enrolling = new WeakSet<Request>();

  /** The stored hash of this account's unused recovery code `code`, or null. */
  async function recoveryCodeOf(userId: string, code: string): Promise<string | null> {
    const row = await db.kysely.selectFrom("twoFactor").select("backupCodes").where("userId", "=", userId).executeTakeFirst();
    return row ? await recoveryCodes.match(row.backupCodes, code).catch(() => null) : null;
  }

  const refused = (returned: unknown) => !returned || isErrorAnswer(returned);

  async function notice(user: { id: string; email: string; name: string }, event: (typeof NOTICES)[string]["event"], change: SecondFactorChange) {
    await deps.audit.record({ type: event, userId: user.id });
    await queueMail(deps, secondFactorNoticeMessage({ to: user.email, name: user.name, change, when: new Date(), resetUrl: `${deps.config.baseURL}/forgot-password` }));
  }

  /**
   * The account a code is being checked for: the signed-in one (an enrolment, or a signed-in
   * check), or the sign-in waiting for its code (Better Auth's pending-challenge cookie).
   */
  async function accountOf(ctx: HookContext): Promise<{ userId: string; enrolling: boolean } | null> {
    const session = await getSessionFromCtx(ctx).catch(() => null);
    if (session) return { userId: session.user.id, enrolling: !(session.user as { twoFactorEnabled?: boolean | null }).twoFactorEnabled };
    const userId = await pendingSecondFactorUserId(ctx.context, ctx.headers?.get("cookie"));
    return userId ? { userId, enrolling: false } : null;
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
            const account = await accountOf(ctx);
            if (!account) return; // Better Auth answers (no session, no pending sign-in)
            if (account.enrolling) enrolling.add(ctx.request);
            const key = totpClaimKey(account.userId, code);
            if (!(await usedTokens.claim("totp", key, Date.now() + TOTP_REUSE_MS))) {
              throw new APIError("UNAUTHORIZED", { code: "INVALID_CODE", message: "This code was already used: wait for the next one." });
            }
            claimed.set(ctx.request, key);
          }),
        },
        {
          // Recovery codes are stored as keyed hashes (auth/recovery-codes.ts) and Better Auth
          // compares the code it is given with the stored list: it is given the stored hash this
          // code matches (found in constant time), or a value that matches none.
          matcher: (ctx: { path?: string }) => ctx.path === "/two-factor/verify-backup-code",
          handler: createAuthMiddleware(async (ctx) => {
            const body = ctx.body as Record<string, unknown> | undefined;
            if (typeof body?.code !== "string") return; // Better Auth's 400
            const account = await accountOf(ctx);
            const matched = account ? await recoveryCodeOf(account.userId, body.code) : null;
            return { context: { body: { ...body, code: matched ?? recoveryCodes.noMatch } } };
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
            if (refused(ctx.context.returned)) {
              await usedTokens.release("totp", key);
              return;
            }
            if (enrolling.has(ctx.request!)) {
              const session = ctx.context.newSession ?? (await getSessionFromCtx(ctx).catch(() => null));
              if (session) await notice(session.user, "two_factor_enabled", "added");
            }
          }),
        },
        {
          matcher: (ctx: { path?: string }) => (ctx.path ?? "") in NOTICES,
          handler: createAuthMiddleware(async (ctx) => {
            if (refused(ctx.context.returned)) return;
            const session = ctx.context.newSession ?? ctx.context.session ?? (await getSessionFromCtx(ctx).catch(() => null));
            if (!session) return;
            const { event, change } = NOTICES[ctx.path!]!;
            await notice(session.user, event, change);
            // Better Auth forgets only this device; a factor turned on again must not find the others trusted.
            if (event === "two_factor_disabled") await deps.trustedDevices.forgetAll(session.user.id, "two_factor_disabled");
          }),
        },
        {
          matcher: (ctx: { path?: string }) => VERIFY_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (refused(ctx.context.returned)) return;
            const returned = ctx.context.returned as { token?: unknown };
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
