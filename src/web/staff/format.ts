import { describeEvent } from "../account/format.ts";
import type { AuditEvent } from "../../shared/api/staff.ts";

export { formatDate, formatDateTime, describeDevice, toIso, EVENT_TYPES } from "../account/format.ts";

const ROLE_NAMES: Record<string, string> = { user: "Reader", moderator: "Moderator", admin: "Admin" };

/** "Reader", "Moderator", "Admin". */
export const roleName = (role: string | null | undefined): string => ROLE_NAMES[role ?? "user"] ?? String(role);

/** Events whose account-page words speak to the reader ("your address"); staff read them about someone else. */
const STAFF_WORDS: Record<string, string> = {
  sign_up_existing: "Someone tried to sign up with this address",
  anonymous_merged: "Guest chats moved into the account",
  user_removed: "Account removed",
  session_revoked: "A session was ended",
  password_reset_requested: "Password reset link sent",
};

/** An event type in words, for staff. */
export const staffEventName = (type: string): string => STAFF_WORDS[type] ?? describeEvent(type);

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);

/** What an audit event's detail says, as the console shows it: who acted, why, and what changed. */
export function eventFacts(e: AuditEvent): { actorId: string | null; actorRole: string | null; byConfig: boolean; reason: string | null; change: string | null } {
  const d = e.detail ?? {};
  const by = str(d.by);
  const byConfig = by === "ADMIN_EMAILS";
  const to = str(d.to) ?? str((d.after as Record<string, unknown> | undefined)?.role);
  const expires = str(d.expiresAt);
  let change: string | null = null;
  if (e.type === "role_changed" && to) change = `now ${roleName(to)}`;
  if (e.type === "user_banned") change = expires ? `until ${new Date(expires).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}` : "until lifted";
  return {
    actorId: byConfig ? null : (e.actorId ?? by),
    actorRole: str(d.byRole),
    byConfig,
    reason: str(d.reason),
    change,
  };
}

/** A long random id, shortened for reading ("a1b2c3d4…"); the full one stays in links and titles. */
export const shortId = (id: string): string => (id.length > 10 ? `${id.slice(0, 8)}…` : id);
