/**
 * Better Auth's TOTP check for an enrolled account, outside its `/two-factor/verify-totp` route:
 * for the routes that ask a signed-in reader for a code before a change (turning the factor off,
 * new recovery codes; plugins/second-factor-changes.ts). The secret is read as Better Auth's
 * `decryptTOTPSecret` reads it (its symmetric encryption under the auth secret, an optional
 * `base32:` prefix), and checked with the same `createOTP(...).verify` the route uses (6 digits,
 * 30 s, one step either side). test/integration/two-factor.test.ts uses codes computed by the
 * test from the enrolment's URI (RFC 6238), at the edges of that window.
 */
import { createOTP } from "@better-auth/utils/otp";
import { base32 } from "@better-auth/utils/base32";
import { symmetricDecrypt } from "better-auth/crypto";

const BASE32_PREFIX = "base32:";

/** Whether `code` is the TOTP code of the stored (encrypted) `secret` now. */
export async function isRightTotpCode(encryptedSecret: string, authSecret: string, code: string): Promise<boolean> {
  const decrypted = await symmetricDecrypt({ key: authSecret, data: encryptedSecret });
  const secret = decrypted.startsWith(BASE32_PREFIX) ? base32.decode(decrypted.slice(BASE32_PREFIX.length).toUpperCase()) : decrypted;
  return createOTP(secret, { digits: 6, period: 30 }).verify(code);
}
