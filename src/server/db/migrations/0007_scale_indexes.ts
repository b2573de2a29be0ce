import { sql, type Kysely } from "kysely";

/**
 * Indexes for the queries that scanned whole tables on a database of 100,000 users, 300,000
 * sessions and 1,000,000 messages (`npm run bench -- --scale`, which prints the plans; the
 * before/after evidence is in bench/README.md). Every other query of the hot paths already had
 * its index: session by token, user by email, account and session by user, chats by owner and
 * recency, messages by chat, refresh tokens by hash, family and user, security events by user.
 *
 * - Better Auth's OAuth sign-in and account linking look an account up by provider and the
 *   provider's account id (`findAccountOwnerByKey`, `findAccountByKey`).
 * - The anonymous purge (chat/anonymous-purge.ts) looks for anonymous readers idle since a date:
 *   a partial index holds only the anonymous ones. The query's `"isAnonymous" is true` is the
 *   index's own condition, word for word, which is what lets SQLite use it.
 * - Expiry and retention deletes (maintenance/retention.ts) remove the few rows that expired
 *   since the last run: Better Auth's verification clean-up (`expiresAt < now`, every few
 *   minutes), and by expiry or age sessions, verification rows, refresh tokens, rate-limit
 *   counters, used link tokens, security events, access-token cutoffs and finished guest moves.
 */
const INDEXES: { name: string; table: string; columns: string[]; anonymousOnly?: boolean }[] = [
  { name: "account_provider_account_idx", table: "account", columns: ["providerId", "accountId"] },
  { name: "user_anonymous_updated_idx", table: "user", columns: ["updatedAt"], anonymousOnly: true },
  { name: "session_expiresAt_idx", table: "session", columns: ["expiresAt"] },
  { name: "verification_expiresAt_idx", table: "verification", columns: ["expiresAt"] },
  { name: "refresh_token_expires_idx", table: "refresh_token", columns: ["expires_at"] },
  { name: "rate_limit_counter_reset_idx", table: "rate_limit_counter", columns: ["reset_at"] },
  { name: "used_token_expires_idx", table: "used_token", columns: ["expires_at"] },
  { name: "security_event_created_idx", table: "security_event", columns: ["created_at"] },
  { name: "access_token_cutoff_not_before_idx", table: "access_token_cutoff", columns: ["not_before"] },
  { name: "anonymous_merge_done_idx", table: "anonymous_merge", columns: ["status", "done_at"] },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const index of INDEXES) {
    let create = db.schema.createIndex(index.name).on(index.table).columns(index.columns);
    if (index.anonymousOnly) create = create.where(sql<boolean>`"isAnonymous" is true`);
    await create.execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [...INDEXES].reverse()) await db.schema.dropIndex(index.name).execute();
}
