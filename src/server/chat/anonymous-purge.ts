import { sql, type Kysely } from "kysely";
import type { Database } from "../db/schema.ts";

/**
 * Abandoned anonymous readers — no sign of life (user row, session, chat or reading progress) for
 * `retentionDays` — are deleted with everything they own (FKs cascade). Better Auth has no
 * such clean-up (docs/decisions/007-anonymous-readers.md). Readers who are waiting for a merge are kept.
 */
export async function purgeAbandonedAnonymous(db: Kysely<Database>, retentionDays: number, now = Date.now()): Promise<number> {
  const cutoffMs = now - retentionDays * 86_400_000;
  // Better Auth's dates are ISO strings on SQLite and timestamptz on PostgreSQL; an ISO string compares on both.
  const cutoff = new Date(cutoffMs).toISOString();
  const stale = await db
    .selectFrom("user")
    .select("user.id")
    // `IS TRUE` reads the same on SQLite (0/1 integers) and PostgreSQL (booleans).
    .where(sql<boolean>`"user"."isAnonymous" is true`)
    .where("user.updatedAt", "<", cutoff)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom("session").select("session.id").whereRef("session.userId", "=", "user.id").where("session.updatedAt", ">=", cutoff))),
    )
    .where((eb) => eb.not(eb.exists(eb.selectFrom("chat").select("chat.id").whereRef("chat.owner_id", "=", "user.id").where("chat.updated_at", ">=", cutoffMs))))
    // Reading is a sign of life too (issue 14, item 8): a guest who reads without asking keeps their place.
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom("reading_progress").select("reading_progress.user_id").whereRef("reading_progress.user_id", "=", "user.id").where("reading_progress.updated_at", ">=", cutoffMs))),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom("anonymous_merge").select("anonymous_merge.anonymous_user_id").whereRef("anonymous_merge.anonymous_user_id", "=", "user.id").where("anonymous_merge.status", "=", "pending"),
        ),
      ),
    )
    .limit(1000)
    .execute();
  if (stale.length === 0) return 0;
  const result = await db.deleteFrom("user").where("id", "in", stale.map((r) => r.id)).executeTakeFirst();
  return Number(result.numDeletedRows);
}
