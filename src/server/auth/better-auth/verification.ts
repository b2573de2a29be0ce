/**
 * Better Auth's verification formats where our routes meet them: the identifiers of the rows
 * its password-reset and account-deletion links look up in the `verification` table, and the
 * claims of its email-verification links (stateless HS256 JWTs). Better Auth writes these inline
 * and exports no helper; test/integration/better-auth-compat.test.ts checks each against the
 * rows and links Better Auth itself makes.
 */
import { decodeJwt } from "jose";

export const verificationIdentifier = {
  /** The row of a password-reset link (`/reset-password/:token`). */
  resetPassword: (token: string) => `reset-password:${token}`,
  /** The row of an account-deletion link (`/delete-user/callback?token=`). */
  deleteAccount: (token: string) => `delete-account-${token}`,
};

export interface VerificationLinkClaims {
  /** The address the link verifies (for an email change: the current one). */
  email: string;
  /** An email change's new address; absent on a sign-up link. */
  updateTo?: string;
}

/**
 * The claims of an email-verification link's token, read without checking its signature (Better
 * Auth checks it when the link is used); null for anything that is not such a token.
 */
export function verificationLinkClaims(token: string): VerificationLinkClaims | null {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch {
    return null;
  }
  if (typeof claims.email !== "string") return null;
  if (claims.updateTo !== undefined && typeof claims.updateTo !== "string") return null;
  return claims.updateTo === undefined ? { email: claims.email } : { email: claims.email, updateTo: claims.updateTo };
}
