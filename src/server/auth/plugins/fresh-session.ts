import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";

/** How recent a sign-in a sensitive action needs. */
export const FRESH_SESSION_SECONDS = 600;

/**
 * Sensitive actions need a recent sign-in: changing the email address or the password, turning
 * off a second factor, deleting the account, and an admin changing a role or removing an
 * account. With a session older than ten minutes they answer 403 SESSION_NOT_FRESH, and the web
 * app asks for the password (and the code) in place (POST /api/v1/me/reauthenticate), then tries
 * again. Those that take the password too still check it: a stolen session alone is not enough
 * within the ten minutes either.
 */
const SENSITIVE = new Set(["/change-email", "/change-password", "/two-factor/disable", "/delete-user", "/admin/set-role", "/admin/remove-user"]);

export function freshSessionPlugin(): BetterAuthPlugin {
  return {
    id: "aibook-fresh-session",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => SENSITIVE.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ctx.request) return; // our own server-side calls
            const session = await getSessionFromCtx(ctx).catch(() => null);
            if (!session) return; // Better Auth answers 401
            const age = Date.now() - new Date(session.session.createdAt).getTime();
            if (age > FRESH_SESSION_SECONDS * 1000) {
              throw new APIError("FORBIDDEN", { code: "SESSION_NOT_FRESH", message: "For your safety this needs a recent sign-in: sign in again, then try once more." });
            }
          }),
        },
      ],
    },
  };
}
