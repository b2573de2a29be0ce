import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";

/** How recent a sign-in a sensitive action needs. */
export const FRESH_SESSION_SECONDS = 600;

/**
 * Sensitive actions that carry no password of their own need a recent sign-in: changing the
 * email address, and an admin changing a role or removing an account. Older than ten minutes,
 * the session is asked to sign in again (403 SESSION_NOT_FRESH; the web app asks for the
 * password, and the code). Changing the password, turning off a second factor and deleting the
 * account ask for the password itself.
 */
const SENSITIVE = new Set(["/change-email", "/admin/set-role", "/admin/remove-user"]);

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
