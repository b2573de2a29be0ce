import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import type { AuditLog } from "../audit/audit.ts";
import { mergeReaderPlace } from "../place/place-merge.ts";

/**
 * Moving an anonymous reader's chats and preferences into their account: atomically and exactly
 * once, on every path (password sign-in, OAuth, the verification link in the same browser or on
 * another device), and never lost when a move fails half-way.
 *
 * Better Auth's `onLinkAccount` is not transactional with its own write and deletes the anonymous
 * user right after the hook (docs/decisions/007-anonymous-readers.md), so we keep deletion for ourselves
 * (`disableDeleteAnonymousUser`) and make the move a small state machine in `anonymous_merge`:
 *
 *   awaiting_verification ──(email verified, any device)──▶ pending ──(one transaction)──▶ done
 *
 * The transaction moves the rows (chats, preferences, reading progress and bookmarks:
 * place/place-merge.ts), marks the merge done and deletes the anonymous user (its
 * sessions go with it: the anonymous token is dead, ASVS 7.2.4). If it fails, nothing changed;
 * the row stays `pending` and `retryPending` (a scheduled job) tries again.
 */
export interface AnonymousMerger {
  /** An anonymous reader signed up: remember whose account their data should join once verified. */
  rememberSignUp(anonymousUserId: string, targetUserId: string): Promise<void>;
  /** An account was verified: its waiting anonymous readers can now be merged. */
  onVerified(targetUserId: string): Promise<void>;
  /** An anonymous session just became an account session (sign-in, OAuth, verification link). */
  link(anonymousUserId: string, targetUserId: string): Promise<void>;
  /** Run every pending merge (the retry job). Returns how many completed. */
  retryPending(): Promise<number>;
}

export function createAnonymousMerger(deps: {
  db: Kysely<Database>;
  logger: Logger;
  audit: AuditLog;
  userChanged(userId: string): void;
  now?: () => number;
}): AnonymousMerger {
  const { db, logger } = deps;
  const now = deps.now ?? (() => Date.now());

  async function record(anonymousUserId: string, targetUserId: string, status: "awaiting_verification" | "pending") {
    await db
      .insertInto("anonymous_merge")
      .values({ anonymous_user_id: anonymousUserId, target_user_id: targetUserId, status, attempts: 0, last_error: null, created_at: now(), done_at: null })
      .onConflict((oc) =>
        // A later, stronger claim (an actual sign-in) replaces a waiting one; a done merge stays done.
        oc.column("anonymous_user_id").doUpdateSet({ target_user_id: targetUserId, status }).where("anonymous_merge.status", "!=", "done"),
      )
      .execute();
  }

  /** The move itself. Returns true when this call completed it. */
  async function execute(anonymousUserId: string): Promise<boolean> {
    try {
      const moved = await db.transaction().execute(async (trx) => {
        const claim = await trx
          .updateTable("anonymous_merge")
          .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
          .where("anonymous_user_id", "=", anonymousUserId)
          .where("status", "=", "pending")
          .returning(["target_user_id"])
          .executeTakeFirst();
        if (!claim) return null; // already done, or not ready: exactly once
        const target = claim.target_user_id;
        const anon = await trx.selectFrom("user").select(["id", "isAnonymous"]).where("id", "=", anonymousUserId).executeTakeFirst();
        const targetUser = await trx.selectFrom("user").select(["id"]).where("id", "=", target).executeTakeFirst();
        if (!targetUser) throw new Error("target account no longer exists");
        let chats = 0;
        if (anon) {
          if (!anon.isAnonymous) throw new Error("refusing to merge a non-anonymous user");
          const result = await trx
            .updateTable("chat")
            .set({ owner_id: target })
            .where("owner_id", "=", anonymousUserId)
            .executeTakeFirst();
          chats = Number(result.numUpdatedRows);
          // Preferences: the account's own win; the anonymous reader's fill in when it has none.
          const hasPrefs = await trx.selectFrom("user_preferences").select("user_id").where("user_id", "=", target).executeTakeFirst();
          if (!hasPrefs) {
            await trx.updateTable("user_preferences").set({ user_id: target }).where("user_id", "=", anonymousUserId).execute();
          }
          await mergeReaderPlace(trx, anonymousUserId, target);
          await trx.deleteFrom("user").where("id", "=", anonymousUserId).execute();
        }
        await trx
          .updateTable("anonymous_merge")
          .set({ status: "done", done_at: now(), last_error: null })
          .where("anonymous_user_id", "=", anonymousUserId)
          .execute();
        return { target, chats };
      });
      if (!moved) return false;
      deps.userChanged(anonymousUserId);
      deps.userChanged(moved.target);
      await deps.audit.record({ type: "anonymous_merged", userId: moved.target, detail: { chats: moved.chats } });
      return true;
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err), anonymousUserId }, "anonymous merge failed; will retry");
      await db
        .updateTable("anonymous_merge")
        .set({ last_error: err instanceof Error ? err.message.slice(0, 500) : "error" })
        .where("anonymous_user_id", "=", anonymousUserId)
        .execute()
        .catch(() => {});
      return false;
    }
  }

  return {
    async rememberSignUp(anonymousUserId, targetUserId) {
      await record(anonymousUserId, targetUserId, "awaiting_verification");
    },
    async onVerified(targetUserId) {
      const waiting = await db
        .selectFrom("anonymous_merge")
        .select("anonymous_user_id")
        .where("target_user_id", "=", targetUserId)
        .where("status", "=", "awaiting_verification")
        .execute();
      for (const row of waiting) {
        await db
          .updateTable("anonymous_merge")
          .set({ status: "pending" })
          .where("anonymous_user_id", "=", row.anonymous_user_id)
          .where("status", "=", "awaiting_verification")
          .execute();
        await execute(row.anonymous_user_id);
      }
    },
    async link(anonymousUserId, targetUserId) {
      if (anonymousUserId === targetUserId) return;
      await record(anonymousUserId, targetUserId, "pending");
      if (!(await execute(anonymousUserId))) {
        // The move will be retried; the anonymous session must die now all the same (ASVS 7.2.4).
        await db.deleteFrom("session").where("userId", "=", anonymousUserId).execute().catch(() => {});
        deps.userChanged(anonymousUserId);
      }
    },
    async retryPending() {
      const rows = await db.selectFrom("anonymous_merge").select("anonymous_user_id").where("status", "=", "pending").limit(100).execute();
      let done = 0;
      for (const row of rows) if (await execute(row.anonymous_user_id)) done++;
      return done;
    },
  };
}
