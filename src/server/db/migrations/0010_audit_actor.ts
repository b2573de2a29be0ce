import type { Kysely } from "kysely";

/** Who did it, for staff actions on another account: the audit log is filtered by actor. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("security_event").addColumn("actor_id", "text").execute();
  await db.schema.createIndex("security_event_actor_idx").on("security_event").columns(["actor_id", "created_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("security_event_actor_idx").execute();
  await db.schema.alterTable("security_event").dropColumn("actor_id").execute();
}
