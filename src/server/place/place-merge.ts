import type { Transaction } from "kysely";
import type { Database } from "../db/schema.ts";

/**
 * A guest's reading progress and bookmarks joining their account, inside the merge's one
 * transaction (chat/anonymous-merge.ts):
 *
 * - progress, per chapter: the later report wins (its section and fraction), and a chapter read
 *   by either is read;
 * - bookmarks move; one the account already has on the same section stays, and keeps the guest's
 *   note only when it had none.
 *
 * The guest's rows left over are deleted with the guest (cascade).
 */
export async function mergeReaderPlace(trx: Transaction<Database>, guestId: string, accountId: string): Promise<void> {
  const guestProgress = await trx.selectFrom("reading_progress").selectAll().where("user_id", "=", guestId).execute();
  if (guestProgress.length > 0) {
    const own = await trx
      .selectFrom("reading_progress")
      .selectAll()
      .where("user_id", "=", accountId)
      .where("chapter_slug", "in", guestProgress.map((p) => p.chapter_slug))
      .execute();
    const ownBySlug = new Map(own.map((p) => [p.chapter_slug, p]));
    for (const g of guestProgress) {
      const a = ownBySlug.get(g.chapter_slug);
      if (!a) {
        await trx.updateTable("reading_progress").set({ user_id: accountId }).where("user_id", "=", guestId).where("chapter_slug", "=", g.chapter_slug).execute();
        continue;
      }
      const latest = Number(g.updated_at) > Number(a.updated_at) ? g : a;
      await trx
        .updateTable("reading_progress")
        .set({ anchor: latest.anchor, fraction: latest.fraction, completed: Number(a.completed) || Number(g.completed) ? 1 : 0, updated_at: Math.max(Number(a.updated_at), Number(g.updated_at)) })
        .where("user_id", "=", accountId)
        .where("chapter_slug", "=", g.chapter_slug)
        .execute();
    }
  }

  const guestMarks = await trx.selectFrom("bookmark").selectAll().where("user_id", "=", guestId).execute();
  for (const g of guestMarks) {
    const same = await trx
      .selectFrom("bookmark")
      .select(["id", "note"])
      .where("user_id", "=", accountId)
      .where("chapter_slug", "=", g.chapter_slug)
      .where("anchor", "=", g.anchor)
      .executeTakeFirst();
    if (!same) await trx.updateTable("bookmark").set({ user_id: accountId }).where("id", "=", g.id).execute();
    else if (!same.note && g.note) await trx.updateTable("bookmark").set({ note: g.note, updated_at: Number(g.updated_at) }).where("id", "=", same.id).execute();
  }
}
