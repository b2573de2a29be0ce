import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";

/** Refusals of the staff routes in words (codes from src/server/auth/staff-rules.ts and plugins/staff.ts). */
const STAFF_MESSAGES: Record<string, string> = {
  TWO_FACTOR_REQUIRED: "Staff actions need two-step verification, and a sign-in with your code.",
  FORBIDDEN: "Your account can't do this.",
  NOT_ON_YOURSELF: "Staff actions can't target your own account. Use your account page instead.",
  TARGET_IS_STAFF: "Moderators act on readers only: only an admin can open or change a moderator's or an admin's account.",
  USER_NOT_FOUND: "There is no such account. It may have been removed.",
  SESSION_NOT_FOUND: "This session has already ended.",
  REASON_REQUIRED: "Say why: the reader sees the reason in their account's activity.",
  REASON_TOO_LONG: "Keep the reason under 500 characters.",
  LAST_ADMIN: "This is the last admin: make someone else admin first.",
  DEMOTE_FIRST: "An admin's account can be removed only once they are no longer an admin: change their role first.",
  INVALID_ROLE: "Choose a role: reader, moderator or admin.",
  STAFF_ACTION_DISABLED: "This action isn't available to anyone.",
};

/** A staff request's error for the console; anything else as the rest of the app words it. */
export function staffErrorMessage(e: unknown): string {
  if (e instanceof ApiError && STAFF_MESSAGES[e.code]) return STAFF_MESSAGES[e.code]!;
  return errorMessage(e);
}

/** Errors that replace a whole console page (no access) rather than sit in it. */
export const accessCode = (e: unknown): "TWO_FACTOR_REQUIRED" | "FORBIDDEN" | null =>
  e instanceof ApiError && e.status === 403 && (e.code === "TWO_FACTOR_REQUIRED" || e.code === "FORBIDDEN") ? e.code : null;
