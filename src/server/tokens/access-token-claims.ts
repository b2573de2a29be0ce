import { randomBytes } from "node:crypto";

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
export function accessTokenClaims(user: AccessTokenUser, now = Date.now()) {
  return {
    sub: user.id,
    role: user.role ?? "user",
    email_verified: Boolean(user.emailVerified),
    token_use: ACCESS_TOKEN_USE,
    // Time-ordered: the issue time in ms, for the cutoff of access-token-cutoff.ts.
    jti: uuidV7(now),
    iat: Math.floor(now / 1000),
  };
}

/** A UUIDv7 (RFC 9562 §5.7): 48 bits of Unix time in ms, version 7, variant 10, 74 random bits. */
export function uuidV7(ms: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
