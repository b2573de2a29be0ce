import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";
import { notifyPasswordChanged } from "../mail.ts";

/** Accounts verified during a /verify-email request, whose anonymous readers move at its end. */
const verifiedInRequest = new WeakMap<Request, string>();

/**
 * An account verified during this /verify-email request (Better Auth's `afterEmailVerification`):
 * its waiting anonymous readers move at the end of the request (the plugin's after-hook below).
 * Moving them at once deleted the anonymous session, and Better Auth then cleared the new
 * session cookie, signing the reader out.
 */
export function verifiedDuring(request: Request, userId: string): void {
  verifiedInRequest.set(request, userId);
}

/**
 * Security events and side effects that hang off Better Auth's own routes:
 * audit lines, refresh-token revocation on sign-out everywhere, password-changed notices.
 */
export function eventsPlugin(deps: AuthDeps): BetterAuthPlugin {
  const { audit } = deps;
  const ok = (ctx: { context: { returned?: unknown } }) =>
    !(ctx.context.returned instanceof APIError) && !(ctx.context.returned instanceof Error);
  return {
    id: "aibook-events",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => ctx.path === "/sign-out",
          handler: createAuthMiddleware(async (ctx) => {
            const session = await getSessionFromCtx(ctx).catch(() => null);
            if (session) {
              await audit.record({ type: "sign_out", userId: session.user.id });
              deps.userChanged(session.user.id);
            }
          }),
        },
      ],
      after: [
        {
          // Runs after the anonymous plugin's own hook (which links the anonymous session of this
          // browser, if any): the waiting anonymous readers of the verified account move now.
          matcher: (ctx: { path?: string }) => ctx.path === "/verify-email",
          handler: createAuthMiddleware(async (ctx) => {
            const userId = ctx.request ? verifiedInRequest.get(ctx.request) : undefined;
            if (!userId) return;
            verifiedInRequest.delete(ctx.request!);
            try {
              await deps.anonymous.onVerified(userId);
            } catch (err) {
              deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "anonymous merge after verification failed; the retry job will finish it");
            }
          }),
        },
        {
          // An anonymous reader signs up: their chats join the account once its email is verified,
          // whichever browser or device opens the link.
          matcher: (ctx: { path?: string }) => ctx.path === "/sign-up/email",
          handler: createAuthMiddleware(async (ctx) => {
            if (!ok(ctx)) return;
            const session = await getSessionFromCtx(ctx, { disableRefresh: true }).catch(() => null);
            if (!session?.user || !(session.user as { isAnonymous?: boolean }).isAnonymous) return;
            const returned = ctx.context.returned as { user?: { id?: string } } | undefined;
            const created = returned?.user?.id ? await ctx.context.internalAdapter.findUserById(returned.user.id) : null;
            // The duplicate-email answer carries a made-up user: only a real new account is claimed.
            if (created) await deps.anonymous.rememberSignUp(session.user.id, created.id);
          }),
        },
        {
          matcher: (ctx: { path?: string }) =>
            ["/change-password", "/revoke-sessions", "/revoke-other-sessions", "/revoke-session"].includes(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ok(ctx)) return;
            const session = ctx.context.session ?? (await getSessionFromCtx(ctx).catch(() => null));
            const user = session?.user;
            if (!user) return;
            deps.userChanged(user.id);
            if (ctx.path === "/change-password") {
              const body = (ctx.body ?? {}) as { revokeOtherSessions?: boolean };
              await audit.record({ type: "password_changed", userId: user.id, detail: { revokeOtherSessions: !!body.revokeOtherSessions } });
              if (body.revokeOtherSessions) {
                await deps.revokeRefreshTokens(user.id, "password_changed");
                // "Sign out other devices": none of them skips the code at its next sign-in either.
                await deps.trustedDevices.forgetAll(user.id, "password_changed");
              }
              // Access tokens die with the old password either way; token clients refresh.
              await deps.cutAccessTokens(user.id);
              await notifyPasswordChanged(deps, user);
            } else if (ctx.path === "/revoke-session") {
              await audit.record({ type: "session_revoked", userId: user.id });
            } else {
              // Sign out everywhere ends the token families too (ASVS 7.4.1).
              await deps.revokeRefreshTokens(user.id, "sign_out_everywhere");
              await deps.cutAccessTokens(user.id);
              await audit.record({ type: "sessions_revoked", userId: user.id, detail: { others: ctx.path === "/revoke-other-sessions" } });
            }
          }),
        },
      ],
    },
  };
}
