import type { Kysely } from "kysely";
import { dialectTypes } from "./types.ts";

/**
 * Chats with the book, anonymous readers (Better Auth's anonymous plugin adds `isAnonymous`),
 * and the record that moves an anonymous reader's data to their account exactly once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = await dialectTypes(db);
  await db.schema.alterTable("user").addColumn("isAnonymous", t.boolean).execute();

  await db.schema
    .createTable("chat")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("owner_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("chat_owner_updated_idx").on("chat").columns(["owner_id", "updated_at", "id"]).execute();

  await db.schema
    .createTable("message")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("chat_id", "text", (c) => c.notNull().references("chat.id").onDelete("cascade"))
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("citations", "text")
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error_code", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("message_chat_created_idx").on("message").columns(["chat_id", "created_at"]).execute();

  // One row per anonymous reader that is to become (or became) part of an account.
  await db.schema
    .createTable("anonymous_merge")
    .addColumn("anonymous_user_id", "text", (c) => c.primaryKey().notNull())
    .addColumn("target_user_id", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_error", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("done_at", "bigint")
    .execute();
  await db.schema.createIndex("anonymous_merge_target_idx").on("anonymous_merge").columns(["target_user_id", "status"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("anonymous_merge").execute();
  await db.schema.dropTable("message").execute();
  await db.schema.dropTable("chat").execute();
  await db.schema.alterTable("user").dropColumn("isAnonymous").execute();
}
