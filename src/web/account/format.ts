/** Dates and devices in words for the account pages (and the staff console's). */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function formatDateTime(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "Unknown time" : dateTime.format(d);
}

export function formatDate(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "Unknown date" : dateOnly.format(d);
}

export function toIso(value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

/** "Firefox on Windows" from a User-Agent string; "Unknown device" when it says nothing useful. */
export function describeDevice(userAgent: string | null | undefined): string {
  const ua = userAgent ?? "";
  if (!ua) return "Unknown device";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\/|Opera/.test(ua)
      ? "Opera"
      : /Firefox\//.test(ua)
        ? "Firefox"
        : /(Headless)?Chrome\/|CriOS\//.test(ua)
          ? "Chrome"
          : /Safari\//.test(ua)
            ? "Safari"
            : /curl|node|python|okhttp|Go-http/i.test(ua)
              ? "An app or script"
              : "A browser";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /iPhone|iPad|iPod/.test(ua)
      ? "iOS"
      : /Mac OS X|Macintosh/.test(ua)
        ? "macOS"
        : /Android/.test(ua)
          ? "Android"
          : /CrOS/.test(ua)
            ? "ChromeOS"
            : /Linux/.test(ua)
              ? "Linux"
              : null;
  return os ? `${browser} on ${os}` : browser;
}

const EVENT_WORDS: Record<string, string> = {
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in attempt",
  sign_in_throttled: "Sign-in paused after too many failed attempts",
  sign_out: "Signed out",
  sign_up: "Account created",
  sign_up_existing: "Someone tried to create an account with your address",
  token_issued: "App access granted",
  token_refresh_reuse: "Reused app token detected: app access revoked",
  token_revoked: "App access revoked",
  password_changed: "Password changed",
  password_reset: "Password reset",
  password_reset_requested: "Password reset requested",
  email_change_requested: "Email change requested",
  email_changed: "Email address changed",
  email_verified: "Email address verified",
  session_revoked: "A session was signed out",
  sessions_revoked: "Signed out everywhere",
  account_deleted: "Account deleted",
  role_changed: "Role changed",
  anonymous_merged: "Guest chats moved to your account",
  user_banned: "Account suspended",
  user_unbanned: "Account restored",
  user_removed: "Account removed by an admin",
  two_factor_enabled: "Two-step verification turned on",
  two_factor_disabled: "Two-step verification turned off",
  recovery_code_used: "Signed in with a recovery code",
};

/** Every event type there are words for (the server's SecurityEventType). */
export const EVENT_TYPES: readonly string[] = Object.keys(EVENT_WORDS);

export function describeEvent(type: string): string {
  return EVENT_WORDS[type] ?? type.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}
