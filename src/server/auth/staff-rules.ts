import { rankOf } from "../../shared/roles.ts";

/** Why a staff action is refused: the same words from Better Auth's admin routes and ours. */
export interface StaffRefusal {
  status: 403;
  code: "NOT_ON_YOURSELF" | "TARGET_IS_STAFF" | "TWO_FACTOR_REQUIRED";
  message: string;
}

/**
 * The rank rule Better Auth's access control lacks: a staff member acts only on accounts ranked
 * below them (a moderator on readers, reads included); an admin on anyone, but never changes
 * their own account.
 */
export function rankRefusal(actor: { id: string; role?: string | null }, target: { id: string; role?: string | null }, changes: boolean): StaffRefusal | null {
  if (changes && target.id === actor.id) {
    return { status: 403, code: "NOT_ON_YOURSELF", message: "Staff actions cannot target your own account." };
  }
  if (actor.role !== "admin" && rankOf(target.role) >= rankOf(actor.role)) {
    return { status: 403, code: "TARGET_IS_STAFF", message: "Moderators act on readers only, never on moderators or admins." };
  }
  return null;
}

/** STAFF_REQUIRE_2FA: staff act only with a second factor, from a session (or token) that passed it. */
export function secondFactorRefusal(enrolled: boolean, passed: boolean): StaffRefusal | null {
  if (enrolled && passed) return null;
  return {
    status: 403,
    code: "TWO_FACTOR_REQUIRED",
    message: enrolled
      ? "Staff actions need a session signed in with your second factor: sign out and in again with your code."
      : "Staff actions need a second factor: add an authenticator app on your account page first.",
  };
}
