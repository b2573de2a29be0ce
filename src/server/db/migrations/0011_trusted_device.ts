import type { Kysely } from "kysely";

/**
 * Devices trusted to skip the second factor (Better Auth's trust-device cookie and its
 * `trust-device-…` verification row): which device it was (user agent, IP), when, and from which
 * session, so a reader can see and forget them. `identifier` follows Better Auth's row, which it
 * renews at each sign-in from the device. Gone with the account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("trusted_device")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("identifier", "text", (c) => c.notNull().unique())
    .addColumn("user_agent", "text")
    .addColumn("ip", "text")
    .addColumn("session_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("last_used_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("trusted_device_user_idx").on("trusted_device").columns(["user_id", "created_at"]).execute();
  // The retention job deletes the ones that ran out (maintenance/retention.ts).
  await db.schema.createIndex("trusted_device_expires_idx").on("trusted_device").column("expires_at").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("trusted_device").execute();
}
