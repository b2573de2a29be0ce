import type { BetterAuthPlugin } from "better-auth";
import { createAuthMiddleware } from "better-auth/api";
import { isErrorAnswer } from "../better-auth/endpoint.ts";
import { runTwoFactorChallenge, twoFactorChallengeHandler } from "../better-auth/two-factor-challenge.ts";

/**
 * Better Auth's routes that open a session without a password, which its two-factor plugin does
 * not challenge: the OAuth callback (social providers; `/oauth2/callback/:providerId` for the
 * generic-OAuth plugin, should it be added), a sign-in with a provider's ID token, and the
 * verification link's automatic sign-in (`autoSignInAfterVerification`).
 */
const CHALLENGED_PATHS = new Set(["/callback/:id", "/oauth2/callback/:providerId", "/sign-in/social", "/verify-email"]);

/** Verification requests that must sign no one in (routes/verify-email.ts deletes their session itself). */
const verifyOnly = new WeakSet<Request>();

/** This request to Better Auth signs no one in: its session is deleted by the caller, no challenge is due. */
export function signsNoOneIn(request: Request): void {
  verifyOnly.add(request);
}

/** Where the web app asks for the code: the sign-in dialog opened at its code step, then on to `next`. */
export function codeStepURL(baseURL: string, location: string | null): string {
  const url = new URL("/sign-in", baseURL);
  url.searchParams.set("second-factor", "1");
  if (location) {
    const target = new URL(location, baseURL);
    if (target.origin === url.origin && target.pathname !== "/") url.searchParams.set("next", target.pathname + target.search + target.hash);
  }
  return url.toString();
}

/**
 * Every sign-in path asks for the second factor. On the paths above, an account with a factor
 * and no valid trusted-device cookie gets Better Auth's own challenge (its hook, run here:
 * better-auth/two-factor-challenge.ts): the session just opened is deleted with its cookie, and
 * the pending-challenge cookie is set. A browser sent on by a redirect goes to the web app's code
 * step instead (`/sign-in?second-factor=1&next=…`); a JSON answer becomes Better Auth's
 * `{ twoFactorRedirect: true }`. The code is then checked by `/two-factor/verify-totp` or
 * `/verify-backup-code`, as after a password. A session the request already had (a signed-in
 * reader confirming an email change) is not a sign-in and is left alone.
 */
export function signInChallengePlugin(baseURL: string, twoFactorPlugin: BetterAuthPlugin): BetterAuthPlugin {
  const challenge = twoFactorChallengeHandler(twoFactorPlugin);
  return {
    id: "aibook-sign-in-challenge",
    hooks: {
      after: [
        {
          matcher: (ctx: { path?: string }) => CHALLENGED_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const opened = ctx.context.newSession;
            if (!(opened?.user as { twoFactorEnabled?: boolean | null } | undefined)?.twoFactorEnabled) return;
            if (ctx.request && verifyOnly.has(ctx.request)) return;
            const original = ctx.context.returned;
            if (isErrorAnswer(original)) return;
            const own = await ctx.getSignedCookie(ctx.context.authCookies.sessionToken.name, ctx.context.secret);
            if (own && own === opened!.session.token) return;
            const challenged = await runTwoFactorChallenge(challenge, ctx);
            if (!challenged) return;
            const status = (original as { statusCode?: unknown } | null)?.statusCode;
            if (typeof status === "number" && status >= 300 && status < 400) {
              const location = (original as { headers?: Headers }).headers?.get("location") ?? null;
              throw ctx.redirect(codeStepURL(baseURL, location));
            }
            return ctx.json(challenged);
          }),
        },
      ],
    },
  };
}
