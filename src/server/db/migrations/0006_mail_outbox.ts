import type { Kysely } from "kysely";

/**
 * The durable mail outbox (email/mail-outbox.ts): every mail is a row before the answer that
 * caused it leaves, and a sender delivers it with retries. Once delivered, the row keeps only
 * what operators need (template, recipient hash, status, times): the address and the body,
 * which holds a link that is a secret, are deleted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("mail_outbox")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("template", "text", (c) => c.notNull())
    .addColumn("recipient_hash", "text", (c) => c.notNull())
    // JSON { to, subject, text, html }; null once delivered.
    .addColumn("payload", "text")
    // pending | sending | sent | failed
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull())
    .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("last_error", "text")
    .addColumn("provider_id", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addColumn("updated_at", "bigint", (c) => c.notNull())
    .addColumn("sent_at", "bigint")
    .execute();
  // The sender's question: what is due now (pending, or sending with a lapsed lease).
  await db.schema.createIndex("mail_outbox_due_idx").on("mail_outbox").columns(["status", "next_attempt_at"]).execute();
  // Retention: finished mails by age.
  await db.schema.createIndex("mail_outbox_updated_idx").on("mail_outbox").columns(["updated_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("mail_outbox").execute();
}
