import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Database } from "../db/schema.ts";

const DAY_MS = 86_400_000;
/** Rows deleted per statement: short locks, bounded memory, however far behind the job is. */
const BATCH = 5_000;
/** Rate-limit counters are kept this long past their window (a request at the edge may still read one). */
const COUNTER_GRACE_MS = 60_000;
/** Clock skew allowed between instances when deciding an access token can no longer be alive. */
const SKEW_MS = 5 * 60_000;

export interface RetentionSettings {
  /** Security events older than this many days go (RETENTION_SECURITY_EVENT_DAYS). */
  securityEventDays: number;
  /** Expired rows are kept this many days past their expiry (RETENTION_EXPIRED_DAYS). */
  expiredDays: number;
  /** Sent and failed mails are listed this many days (MAIL_LOG_RETENTION_DAYS). */
  mailLogDays: number;
  /** Access-token lifetime: a cutoff older than this refuses no token that is still alive. */
  accessTokenTtlMs: number;
}

export type Purged = Record<
  | "securityEvents"
  | "sessions"
  | "verifications"
  | "refreshTokens"
  | "usedTokens"
  | "trustedDevices"
  | "rateLimitCounters"
  | "accessTokenCutoffs"
  | "mails"
  | "mailBodies"
  | "finishedMerges",
  number
>;

/**
 * Deletes what has expired, table by table, in batches. Every table that grows with use has
 * its rule here; what a reader owns (chats, preferences) goes with the account instead, and
 * abandoned anonymous readers by chat/anonymous-purge.ts.
 *
 * Better Auth's dates are ISO strings on SQLite and timestamptz on PostgreSQL (an ISO string
 * compares on both); ours are epoch milliseconds.
 */
export async function purgeExpired(db: Kysely<Database>, settings: RetentionSettings, now = Date.now()): Promise<Purged> {
  const expired = now - settings.expiredDays * DAY_MS;
  const expiredIso = new Date(expired).toISOString();
  const deleteWhere = (table: string, key: string, condition: RawBuilder<unknown>) => deleteInBatches(db, table, key, condition);
  return {
    securityEvents: await deleteWhere("security_event", "id", sql`created_at < ${now - settings.securityEventDays * DAY_MS}`),
    sessions: await deleteWhere("session", "id", sql`"expiresAt" < ${expiredIso}`),
    verifications: await deleteWhere("verification", "id", sql`"expiresAt" < ${expiredIso}`),
    // Every token of a family carries the family's absolute expiry: the whole family goes at once.
    refreshTokens: await deleteWhere("refresh_token", "id", sql`expires_at < ${expired}`),
    usedTokens: await deleteWhere("used_token", "token_hash", sql`expires_at < ${expired}`),
    // A trust that ran out (its Better Auth row goes with the verifications above).
    trustedDevices: await deleteWhere("trusted_device", "id", sql`expires_at < ${expired}`),
    rateLimitCounters: await deleteWhere("rate_limit_counter", "key", sql`reset_at < ${now - COUNTER_GRACE_MS}`),
    // A token issued before the cutoff has expired by cutoff + TTL: the row refuses nothing alive.
    accessTokenCutoffs: await deleteWhere("access_token_cutoff", "user_id", sql`not_before < ${now - settings.accessTokenTtlMs - SKEW_MS}`),
    mails: await deleteWhere("mail_outbox", "id", sql`status in ('sent', 'failed') and updated_at < ${now - settings.mailLogDays * DAY_MS}`),
    // A failed mail's link has expired by now; its body (a secret) goes, its record stays.
    mailBodies: await clearFailedMailBodies(db, expired),
    // A finished guest-to-account move: its guest is gone, nothing can replay it.
    finishedMerges: await deleteWhere("anonymous_merge", "anonymous_user_id", sql`status = 'done' and done_at < ${expired}`),
  };
}

async function deleteInBatches(db: Kysely<Database>, table: string, key: string, condition: RawBuilder<unknown>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql`
      delete from ${sql.table(table)}
       where ${sql.ref(key)} in (select ${sql.ref(key)} from ${sql.table(table)} where ${condition} limit ${BATCH})`.execute(db);
    const n = Number(result.numAffectedRows ?? 0n);
    total += n;
    if (n < BATCH) return total;
  }
}

async function clearFailedMailBodies(db: Kysely<Database>, before: number): Promise<number> {
  const result = await db
    .updateTable("mail_outbox")
    .set({ payload: null })
    .where("status", "=", "failed")
    .where("payload", "is not", null)
    .where("updated_at", "<", before)
    .executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0n);
}
