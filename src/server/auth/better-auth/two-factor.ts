import { readCookie, verifySignedValue } from "./cookies.ts";

/** What of Better Auth's context reading a pending sign-in needs. */
export interface PendingSignInContext {
  secret: string;
  createAuthCookie(name: string): { name: string };
  internalAdapter: { findVerificationValue(identifier: string): Promise<{ value: string; expiresAt: Date } | null | undefined> };
}

/** The name of the two-factor plugin's pending-challenge cookie (`two_factor`, with the cookie prefix). */
export const pendingChallengeCookieName = (ctx: Pick<PendingSignInContext, "createAuthCookie">): string => ctx.createAuthCookie("two_factor").name;

/** The pending challenge a request's Cookie header names (the signed cookie's value, its signature checked), or null. */
export function pendingChallengeId(ctx: Pick<PendingSignInContext, "secret" | "createAuthCookie">, cookieHeader: string | undefined | null): string | null {
  const signed = readCookie(cookieHeader, pendingChallengeCookieName(ctx));
  return signed ? verifySignedValue(signed, ctx.secret) : null;
}

/**
 * The account a sign-in is waiting on a second-factor code for: the two-factor plugin's signed
 * `two_factor` cookie names a `verification` row (identifier `2fa-…`, value: the user id, ten
 * minutes), as its sign-in hook writes it and its verify routes read it. Null without a valid,
 * unexpired one.
 */
export async function pendingSecondFactorUserId(ctx: PendingSignInContext, cookieHeader: string | undefined | null): Promise<string | null> {
  const identifier = pendingChallengeId(ctx, cookieHeader);
  if (!identifier) return null;
  const row = await ctx.internalAdapter.findVerificationValue(identifier);
  return row && new Date(row.expiresAt).getTime() > Date.now() ? row.value : null;
}
