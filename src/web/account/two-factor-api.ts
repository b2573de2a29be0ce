import { ApiError } from "../api/api-error.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";

/**
 * Better Auth's two-factor routes for the account page (/api/auth/two-factor/*, unchanged).
 * Each needs the password; a session that ended meanwhile asks the reader to sign in again.
 */

/** Start an enrolment: the authenticator's URI and ten recovery codes; on once a first code confirms it. */
export async function enableTwoFactor(password: string): Promise<{ totpURI: string; backupCodes: string[] }> {
  const data = await authCall((fetchOptions) => authClient.twoFactor.enable({ password, method: "totp", fetchOptions }), { reauth: true });
  if (data.method !== "totp") throw new ApiError(500, "INTERNAL_ERROR", "The server did not start an authenticator enrolment.");
  return data;
}

/** Confirm the enrolment with a first code. A wrong code is a 401 too: only an ended session asks to sign in again. */
export const confirmTwoFactor = (code: string) =>
  authCall((fetchOptions) => authClient.twoFactor.verifyTotp({ code, fetchOptions }), { reauth: (e) => e.code !== "INVALID_CODE" });

/**
 * Turning it off and new recovery codes need the password and a code (TOTP or recovery code):
 * the server's check in front of Better Auth's route, so the client's types do not know `code`.
 * A wrong code is a 401: only an ended session asks to sign in again.
 */
const withCode = { reauth: (e: ApiError) => e.code !== "INVALID_CODE" };

export const disableTwoFactor = (password: string, code: string) =>
  authCall((fetchOptions) => authClient.twoFactor.disable({ password, ...{ code }, fetchOptions }), withCode);

/** Ten new recovery codes; the old ones stop working. */
export const newRecoveryCodes = (password: string, code: string) =>
  authCall((fetchOptions) => authClient.twoFactor.generateBackupCodes({ password, ...{ code }, fetchOptions }), withCode);
