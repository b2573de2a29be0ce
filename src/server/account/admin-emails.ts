import type { Kysely } from "kysely";
import type { AuditLog } from "../audit/audit.ts";
import type { Database } from "../db/schema.ts";

/**
 * ADMIN_EMAILS: the first admins come from configuration, never from a default account
 * (ASVS 6.3.2), and only once the address is verified — otherwise anyone could sign up
 * with the admin's address on an instance without verification.
 */
export async function promoteConfiguredAdmins(
  db: Kysely<Database>,
  adminEmails: string[],
  audit: AuditLog,
  onlyEmail?: string,
): Promise<void> {
  const wanted = adminEmails.map((e) => e.toLowerCase()).filter((e) => !onlyEmail || e === onlyEmail.toLowerCase());
  if (wanted.length === 0) return;
  const users = await db
    .selectFrom("user")
    .select(["id", "email", "role", "emailVerified"])
    .where("email", "in", wanted)
    .execute();
  for (const user of users) {
    if (!user.emailVerified || user.role === "admin") continue;
    await db.updateTable("user").set({ role: "admin", updatedAt: new Date().toISOString() }).where("id", "=", user.id).execute();
    await audit.record({ type: "role_changed", userId: user.id, detail: { from: user.role ?? "user", to: "admin", by: "ADMIN_EMAILS" } });
  }
}
