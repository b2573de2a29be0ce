import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";
import { isErrorAnswer } from "../better-auth/endpoint.ts";
import { isRightTotpCode } from "../better-auth/totp.ts";
import { TOTP_REUSE_MS, totpClaimKey } from "./second-factor.ts";

/** Better Auth's routes that change a factor in force: each needs the password (Better Auth) and a code (here). */
const GUARDED = new Set(["/two-factor/disable", "/two-factor/generate-backup-codes"]);

/** Longer than any code: a recovery code is 11 characters, a TOTP code 6. */
const MAX_CODE_LENGTH = 64;

/**
 * Turning the second factor off and making new recovery codes need the password AND a code
 * (TOTP or an unused recovery code): a stolen session and a known password are not enough to
 * remove or replace the factor. Better Auth asks for the password only.
 *
 * - no `code`: 400 CODE_REQUIRED; a wrong one: 401 INVALID_CODE;
 * - wrong codes, and wrong passwords on these routes, count against the account like wrong
 *   passwords at sign-in (rate-limit/account-throttle.ts); a locked account gets 429
 *   TOO_MANY_ATTEMPTS before any check;
 * - a TOTP code is used once (the same claim as at sign-in, plugins/second-factor.ts), and given
 *   back if Better Auth then refuses the change (a wrong password). A recovery code is checked,
 *   not spent: both changes replace or delete every code anyway.
 */
export function secondFactorChangesPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { db, throttle, usedTokens, recoveryCodes, config } = deps;
  /** TOTP codes claimed by a request, to give back if Better Auth refuses the change. */
  const claimed = new WeakMap<Request, string>();
  /** The address whose throttle a request counts against. */
  const accountOf = new WeakMap<Request, string>();

  const invalidCode = () => new APIError("UNAUTHORIZED", { code: "INVALID_CODE", message: "The code is not right, or was already used." });

  /** Whether `code` is a right TOTP code (claimed for this request) or an unused recovery code of this account. */
  async function codeIsRight(request: Request | undefined, userId: string, code: string): Promise<boolean> {
    const row = await db.kysely.selectFrom("twoFactor").select(["secret", "backupCodes"]).where("userId", "=", userId).executeTakeFirst();
    if (!row) return false;
    if (!/^\d{6}$/.test(code)) return (await recoveryCodes.match(row.backupCodes, code).catch(() => null)) !== null;
    const key = totpClaimKey(userId, code);
    if (!(await usedTokens.claim("totp", key, Date.now() + TOTP_REUSE_MS))) return false;
    const right = await isRightTotpCode(row.secret, config.secret, code).catch(() => false);
    if (!right) await usedTokens.release("totp", key);
    else if (request) claimed.set(request, key);
    return right;
  }

  return {
    id: "aibook-second-factor-changes",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => GUARDED.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const session = await getSessionFromCtx(ctx).catch(() => null);
            // No session: Better Auth's 401. No factor in force: nothing to ask a code of.
            if (!session || !(session.user as { twoFactorEnabled?: boolean | null }).twoFactorEnabled) return;
            const given = (ctx.body as { code?: unknown } | undefined)?.code;
            const code = typeof given === "string" ? given.trim() : "";
            if (!code) {
              throw new APIError("BAD_REQUEST", { code: "CODE_REQUIRED", message: "Enter a code from your authenticator app, or a recovery code." });
            }
            const { email } = session.user;
            const throttled = await throttle.check(email);
            if (throttled.locked) {
              throw new APIError(
                "TOO_MANY_REQUESTS",
                { code: "TOO_MANY_ATTEMPTS", message: "Too many wrong passwords or codes for this account. Wait a little and try again.", retryAfter: throttled.retryAfterSeconds },
                { "Retry-After": String(throttled.retryAfterSeconds) },
              );
            }
            if (ctx.request) accountOf.set(ctx.request, email);
            if (code.length > MAX_CODE_LENGTH || !(await codeIsRight(ctx.request, session.user.id, code))) {
              await throttle.recordFailure(email);
              throw invalidCode();
            }
          }),
        },
      ],
      after: [
        {
          matcher: (ctx: { path?: string }) => GUARDED.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ctx.request) return;
            const key = claimed.get(ctx.request);
            const email = accountOf.get(ctx.request);
            claimed.delete(ctx.request);
            accountOf.delete(ctx.request);
            const returned = ctx.context.returned;
            if (!isErrorAnswer(returned)) return;
            if (key) await usedTokens.release("totp", key);
            const code = (returned as { body?: { code?: unknown } }).body?.code;
            if (email && code === "INVALID_PASSWORD") await throttle.recordFailure(email);
          }),
        },
      ],
    },
  };
}
