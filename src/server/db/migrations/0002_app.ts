import type { Kysely } from "kysely";

/** Our own tables: snake_case, times as epoch milliseconds in bigint columns on both databases. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("user_preferences")
    .addColumn("user_id", "text", (c) => c.primaryKey().notNull().references("user.id").onDelete("cascade"))
    .addColumn("theme", "text", (c) => c.notNull())
    .addColumn("language", "text", (c) => c.notNull())
    .addColumn("notify_product", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("security_event")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("user_id", "text", (c) => c.references("user.id").onDelete("cascade"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("detail", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("security_event_user_idx").on("security_event").columns(["user_id", "created_at"]).execute();

  await db.schema
    .createTable("refresh_token")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("family_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("parent_id", "text")
    .addColumn("rotated_at", "bigint")
    .addColumn("revoked_at", "bigint")
    .addColumn("revoked_reason", "text")
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .execute();
  await db.schema.createIndex("refresh_token_family_idx").on("refresh_token").column("family_id").execute();
  await db.schema.createIndex("refresh_token_user_idx").on("refresh_token").column("user_id").execute();

  await db.schema
    .createTable("rate_limit_counter")
    .addColumn("key", "varchar(255)", (c) => c.primaryKey())
    .addColumn("count", "integer", (c) => c.notNull())
    .addColumn("reset_at", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("used_token")
    .addColumn("token_hash", "text", (c) => c.primaryKey().notNull())
    .addColumn("purpose", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["used_token", "rate_limit_counter", "refresh_token", "security_event", "user_preferences"]) {
    await db.schema.dropTable(table).execute();
  }
}
