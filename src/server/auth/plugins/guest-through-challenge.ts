import type { BetterAuthPlugin } from "better-auth";
import { createAuthMiddleware } from "better-auth/api";
import type { AuthDeps } from "../auth.ts";
import { isErrorAnswer } from "../better-auth/endpoint.ts";
import { setCookieValue, verifySignedValue } from "../better-auth/cookies.ts";
import { pendingChallengeCookieName, pendingChallengeId } from "../better-auth/two-factor.ts";

/** Routes that may sign a guest in to an account with a second factor, and so challenge. */
const SIGN_IN_PATHS = new Set(["/sign-in/email", "/sign-in/social", "/callback/:id", "/oauth2/callback/:providerId", "/verify-email"]);
const VERIFY_PATHS = new Set(["/two-factor/verify-totp", "/two-factor/verify-backup-code"]);

/** How long a challenge waits for its code (Better Auth's two_factor cookie: ten minutes). */
const CHALLENGE_MS = 10 * 60_000;

const guestRow = (challenge: string) => `guest-through-2fa-${challenge}`;

/**
 * A guest's chats follow them into an account with a second factor, as into any other. Better
 * Auth's anonymous plugin moves a guest into the account a sign-in opens; but the two-factor
 * challenge deletes that session (and the guest's cookie) before the anonymous plugin looks, and
 * the code's verify routes are not sign-in routes to it. So: the guest a challenged sign-in came
 * from is written down against the challenge (a verification row, ten minutes, as the challenge),
 * and the right code moves them (`anonymous.link`, the same move as every other path).
 */
export function guestThroughChallengePlugin(deps: Pick<AuthDeps, "anonymous" | "logger">): BetterAuthPlugin {
  const guestOf = new WeakMap<Request, string>();

  return {
    id: "aibook-guest-through-challenge",
    hooks: {
      before: [
        {
          matcher: (ctx: { path?: string }) => SIGN_IN_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            if (!ctx.request) return;
            const token = await ctx.getSignedCookie(ctx.context.authCookies.sessionToken.name, ctx.context.secret);
            if (!token) return;
            // The row as it is: no refresh, no cookie in the sign-in's answer.
            const found = await ctx.context.internalAdapter.findSession(token);
            if ((found?.user as { isAnonymous?: boolean | null } | undefined)?.isAnonymous) guestOf.set(ctx.request, found!.user.id);
          }),
        },
      ],
      after: [
        {
          matcher: (ctx: { path?: string }) => SIGN_IN_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const guest = ctx.request ? guestOf.get(ctx.request) : undefined;
            if (!guest) return;
            const cookieName = pendingChallengeCookieName(ctx.context);
            const headers = (ctx.context as unknown as { responseHeaders?: Headers }).responseHeaders;
            const signed = headers?.getSetCookie().map((line) => setCookieValue(line, cookieName)).find(Boolean);
            const challenge = signed ? verifySignedValue(signed, ctx.context.secret) : null;
            if (!challenge) return; // no challenge: Better Auth's anonymous plugin has moved the guest
            await ctx.context.internalAdapter.createVerificationValue({ identifier: guestRow(challenge), value: guest, expiresAt: new Date(Date.now() + CHALLENGE_MS) });
          }),
        },
        {
          matcher: (ctx: { path?: string }) => VERIFY_PATHS.has(ctx.path ?? ""),
          handler: createAuthMiddleware(async (ctx) => {
            const user = ctx.context.newSession?.user;
            if (!user || isErrorAnswer(ctx.context.returned)) return;
            const challenge = pendingChallengeId(ctx.context, ctx.headers?.get("cookie"));
            if (!challenge) return; // confirming an enrolment, not a sign-in
            const row = await ctx.context.internalAdapter.findVerificationValue(guestRow(challenge));
            if (!row) return;
            await ctx.context.internalAdapter.deleteVerificationByIdentifier(guestRow(challenge));
            if (new Date(row.expiresAt).getTime() < Date.now() || row.value === user.id) return;
            try {
              await deps.anonymous.link(row.value, user.id);
            } catch (err) {
              // As after any sign-in: the move is recorded and the retry job finishes it (decision 007).
              deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "anonymous link after a second factor failed; the retry job will finish it");
            }
          }),
        },
      ],
    },
  };
}
