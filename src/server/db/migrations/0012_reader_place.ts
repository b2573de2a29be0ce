import type { Kysely } from "kysely";

/**
 * The reader's place (issue 14, item 8): how far they got in each chapter, and their bookmarks.
 * Keyed by chapter slug (a book reloaded with a chapter gone leaves its rows harmless). Gone with
 * the account (cascade), and moved into the account with a guest's chats (chat/anonymous-merge.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("reading_progress")
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("chapter_slug", "text", (c) => c.notNull())
    .addColumn("anchor", "text")
    .addColumn("fraction", "double precision", (c) => c.notNull())
    // 0 or 1 on both databases: one way to write it from both drivers.
    .addColumn("completed", "integer", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("reading_progress_pk", ["user_id", "chapter_slug"])
    .execute();
  // "Continue reading": the reader's latest chapter.
  await db.schema.createIndex("reading_progress_user_updated_idx").on("reading_progress").columns(["user_id", "updated_at"]).execute();

  await db.schema
    .createTable("bookmark")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("user_id", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("chapter_slug", "text", (c) => c.notNull())
    // "" for the chapter's top: a unique key over a NULL would let duplicates in.
    .addColumn("anchor", "text", (c) => c.notNull())
    .addColumn("note", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("bookmark_user_place_idx").on("bookmark").columns(["user_id", "chapter_slug", "anchor"]).unique().execute();
  await db.schema.createIndex("bookmark_user_created_idx").on("bookmark").columns(["user_id", "created_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("bookmark").execute();
  await db.schema.dropTable("reading_progress").execute();
}
