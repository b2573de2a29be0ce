import { ApiError } from "./api-error.ts";

/**
 * Server error codes in words for readers. Keyed on `code` (STYLE.md): the server's `message`
 * is only a fallback for codes we have not met.
 */
const MESSAGES: Record<string, string> = {
  // Sign-in and sign-up
  INVALID_EMAIL_OR_PASSWORD: "That email and password don't match an account. Check them and try again.",
  EMAIL_NOT_VERIFIED: "Your email address isn't verified yet. We've sent you a new verification link: open it to finish signing up.",
  USER_ALREADY_EXISTS: "An account with this email already exists. Sign in instead, or reset your password.",
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: "An account with this email already exists. Use another email, or sign in.",
  INVALID_EMAIL: "Enter a valid email address, like name@example.com.",
  INVALID_NAME: "Enter a name of up to 100 characters, without special control characters.",
  INVALID_IMAGE: "The avatar must be an http(s) web address of at most 2048 characters.",
  BANNED_USER: "This account has been suspended. Contact the site's team if you think this is a mistake.",
  // Passwords (the same rules the server enforces: src/shared/password-policy.ts)
  PASSWORD_TOO_SHORT: "This password is too short.",
  PASSWORD_TOO_LONG: "This password is too long. Use at most 128 characters.",
  PASSWORD_TOO_COMMON: "This password is on a list of commonly used passwords. Choose something less predictable.",
  PASSWORD_CONTAINS_USER_INFO: "This password is based on your name or email address. Choose something that is not about you.",
  INVALID_PASSWORD: "That password isn't right.",
  CREDENTIAL_ACCOUNT_NOT_FOUND: "This account has no password. Confirm by email instead.",
  USER_ALREADY_HAS_PASSWORD: "This account has a password: enter it to confirm.",
  SESSION_EXPIRED: "For your security, sign in again before making this change.",
  SESSION_NOT_FRESH: "For your security, sign in again before making this change.",
  // Second factors (Better Auth's two-factor plugin)
  INVALID_CODE: "That code isn't right. Enter the code your authenticator app shows now.",
  TRUSTED_DEVICE_NOT_FOUND: "This device isn't trusted any more.",
  CODE_REQUIRED: "Enter a code from your authenticator app, or one of your recovery codes.",
  INVALID_BACKUP_CODE: "That recovery code isn't right, or it has been used already.",
  INVALID_TWO_FACTOR_COOKIE: "This sign-in took too long. Enter your password again.",
  TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE: "Too many wrong codes. Enter your password again to start over.",
  ACCOUNT_TEMPORARILY_LOCKED: "Too many wrong codes for this account.",
  TOTP_ALREADY_ENABLED: "Two-step verification is already on for this account.",
  TWO_FACTOR_NOT_ENABLED: "Two-step verification isn't on for this account.",
  TOTP_NOT_ENABLED: "Two-step verification isn't set up for this account.",
  // Links sent by email
  INVALID_TOKEN: "This link isn't valid. It may be incomplete or have been replaced by a newer one.",
  TOKEN_EXPIRED: "This link has expired.",
  TOKEN_ALREADY_USED: "This link has already been used.",
  EMAIL_ALREADY_VERIFIED: "This email address is already verified. You can sign in.",
  // Limits
  TOO_MANY_ATTEMPTS: "Too many failed sign-in attempts for this account.",
  EMAIL_RATE_LIMITED: "We sent an email to this address moments ago.",
  RATE_LIMITED: "Too many requests from your network.",
  // Requests the server refused as malformed or unsafe
  INVALID_REDIRECT: "The return address of this request isn't on this site.",
  INVALID_CALLBACK_URL: "The return address of this request isn't on this site.",
  INVALID_ORIGIN: "This request came from a page we don't trust. Reload the page and try again.",
  MISSING_OR_NULL_ORIGIN: "This request came from a page we don't trust. Reload the page and try again.",
  INVALID_CHARACTERS: "Some of what you typed contains characters we can't accept.",
  PAYLOAD_TOO_LARGE: "What you sent is too large.",
  VALIDATION_FAILED: "Some of what you entered isn't valid.",
  UNAUTHORIZED: "You need to sign in to do this.",
  FORBIDDEN: "You don't have permission to do this.",
  // Book
  CHAPTER_NOT_FOUND: "There is no chapter with this name in the book.",
  // Transport
  NETWORK_ERROR: "We couldn't reach the server. Check your connection and try again.",
  INTERNAL_ERROR: "Something went wrong on our side. Try again in a moment.",
  SERVICE_UNAVAILABLE: "The service is busy or down for a moment. Try again shortly.",
};

const WAIT_CODES = new Set(["TOO_MANY_ATTEMPTS", "EMAIL_RATE_LIMITED", "RATE_LIMITED", "ACCOUNT_TEMPORARILY_LOCKED"]);

/** "42 seconds", "3 minutes", "2 hours". */
export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  if (m < 90) return `${m} minute${m === 1 ? "" : "s"}`;
  const h = Math.ceil(m / 60);
  return `${h} hour${h === 1 ? "" : "s"}`;
}

/** The reader-facing sentence for an error (ApiError, network failure or anything thrown). */
export function errorMessage(error: unknown, { minPasswordLength }: { minPasswordLength?: number } = {}): string {
  if (!(error instanceof ApiError)) return MESSAGES.INTERNAL_ERROR!;
  let text = MESSAGES[error.code];
  if (error.code === "PASSWORD_TOO_SHORT" && minPasswordLength) text = `This password is too short. Use at least ${minPasswordLength} characters.`;
  if (!text) text = error.status >= 500 ? MESSAGES.INTERNAL_ERROR! : error.message || MESSAGES.INTERNAL_ERROR!;
  if (WAIT_CODES.has(error.code)) {
    text += error.retryAfter !== undefined ? ` Try again in ${formatWait(error.retryAfter)}.` : " Wait a little and try again.";
  }
  return text;
}

/** Codes that belong to the password field rather than to the whole form. */
export const PASSWORD_CODES = new Set([
  "PASSWORD_TOO_SHORT",
  "PASSWORD_TOO_LONG",
  "PASSWORD_TOO_COMMON",
  "PASSWORD_CONTAINS_USER_INFO",
]);
