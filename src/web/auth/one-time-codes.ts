/**
 * The codes of a second factor as readers type them: the six digits of an authenticator app
 * (RFC 6238) and the recovery codes Better Auth's two-factor plugin hands out (`abcde-FGHIJ`).
 */

/** The digits of an authenticator code as typed: "123 456" and "123-456" give "123456". */
export function normalizeTotpCode(input: string): string {
  return input.replace(/[\s-]/g, "");
}

/** null when `input` is six digits (spaces and dashes aside), else what to tell the reader. */
export function totpCodeProblem(input: string): string | null {
  const code = normalizeTotpCode(input);
  if (!code) return "Enter the 6-digit code from your authenticator app.";
  if (!/^\d{6}$/.test(code)) return "The code is 6 digits, like 123456.";
  return null;
}

/**
 * A recovery code as typed: spaces dropped and, when left out, the dash put back
 * ("abcdeFGHIJ" gives "abcde-FGHIJ"). Letters keep their case: the codes are case-sensitive.
 */
export function normalizeRecoveryCode(input: string): string {
  const code = input.replace(/\s/g, "");
  return /^[A-Za-z0-9]{10}$/.test(code) ? `${code.slice(0, 5)}-${code.slice(5)}` : code;
}

/** null when something was typed, else what to tell the reader. */
export function recoveryCodeProblem(input: string): string | null {
  return normalizeRecoveryCode(input) ? null : "Enter one of your recovery codes.";
}

/** Either kind as typed into one field: six digits stay a TOTP code, anything else is read as a recovery code. */
export function normalizeAnyCode(input: string): string {
  const digits = normalizeTotpCode(input);
  return /^\d{6}$/.test(digits) ? digits : normalizeRecoveryCode(input);
}
