import { sql, type Kysely } from "kysely";

/**
 * Which process is writing an answer (`host:port#boot-id`), so answers left "streaming" by a
 * process that died can be marked interrupted (see chat/answer-recovery.ts). The partial index
 * keeps that look-up to the few rows still streaming.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("message").addColumn("stream_owner", "text").execute();
  await db.schema
    .createIndex("message_streaming_idx")
    .on("message")
    .column("chat_id")
    .where(sql.ref("status"), "=", "streaming")
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("message_streaming_idx").execute();
  await db.schema.alterTable("message").dropColumn("stream_owner").execute();
}
