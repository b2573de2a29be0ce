import type { Kysely } from "kysely";

/**
 * Per user, the time before which every access token is refused (epoch ms): set when the
 * password changes or is reset, on sign-out everywhere and on a ban (ASVS 7.4.1). Read with the
 * user on the hot path (auth/caller.ts), so every instance sees it within its cache time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("access_token_cutoff")
    .addColumn("user_id", "text", (c) => c.primaryKey().notNull().references("user.id").onDelete("cascade"))
    .addColumn("not_before", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("access_token_cutoff").execute();
}
