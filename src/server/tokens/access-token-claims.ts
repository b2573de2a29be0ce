import { randomUUID } from "node:crypto";

/** `token_use` claim and `typ` header values: an access token is never a refresh or email token (ASVS 9.2.2). */
export const ACCESS_TOKEN_USE = "access";
export const ACCESS_TOKEN_TYP = "at+jwt";
/** Better Auth's `jwks.gracePeriod`: a rotated key stays published (and trusted by our verifier) this long after it expires. */
export const JWKS_GRACE_SECONDS = 7 * 86_400;

export interface AccessTokenUser {
  id: string;
  role?: string | null;
  emailVerified: boolean | number;
}

/** The small, fixed claim set of our access tokens (Better Auth would put the whole user row in). */
export function accessTokenClaims(user: AccessTokenUser) {
  return {
    sub: user.id,
    role: user.role ?? "user",
    email_verified: Boolean(user.emailVerified),
    token_use: ACCESS_TOKEN_USE,
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
  };
}
