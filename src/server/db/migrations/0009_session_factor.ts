import type { Kysely } from "kysely";

/**
 * Sessions that passed a second factor (a TOTP or recovery code at sign-in, or the first code
 * that confirmed an enrolment). Staff routes ask for one (STAFF_REQUIRE_2FA). Gone with the
 * session.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("session_factor")
    .addColumn("session_id", "text", (c) => c.primaryKey().notNull().references("session.id").onDelete("cascade"))
    .addColumn("verified_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("session_factor").execute();
}
