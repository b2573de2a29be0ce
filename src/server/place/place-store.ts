import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";

/** Reading progress and bookmarks in the database, always scoped to their owner. */
export interface ProgressRow {
  chapterSlug: string;
  anchor: string | null;
  fraction: number;
  completed: boolean;
  updatedAt: number;
}

export interface BookmarkRow {
  id: string;
  chapterSlug: string;
  anchor: string | null;
  note: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Bookmarks a reader may keep: enough for any book, a bound for a script. */
export const MAX_BOOKMARKS = 1000;

const toProgress = (r: { chapter_slug: string; anchor: string | null; fraction: number; completed: number; updated_at: number | string }): ProgressRow => ({
  chapterSlug: r.chapter_slug,
  anchor: r.anchor,
  fraction: Number(r.fraction),
  completed: Boolean(r.completed),
  updatedAt: Number(r.updated_at),
});

const toBookmark = (r: { id: string; chapter_slug: string; anchor: string; note: string | null; created_at: number | string; updated_at: number | string }): BookmarkRow => ({
  id: r.id,
  chapterSlug: r.chapter_slug,
  anchor: r.anchor === "" ? null : r.anchor,
  note: r.note,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export function createPlaceStore(db: Kysely<Database>, now: () => number = Date.now) {
  return {
    async listProgress(userId: string): Promise<ProgressRow[]> {
      const rows = await db.selectFrom("reading_progress").selectAll().where("user_id", "=", userId).orderBy("updated_at", "desc").orderBy("chapter_slug").execute();
      return rows.map(toProgress);
    },

    /** One row per chapter; a chapter once completed stays completed. */
    async saveProgress(userId: string, slug: string, p: { anchor: string | null; fraction: number; completed: boolean }): Promise<ProgressRow> {
      const at = now();
      const completed = p.completed || p.fraction >= 1;
      await db
        .insertInto("reading_progress")
        .values({ user_id: userId, chapter_slug: slug, anchor: p.anchor, fraction: p.fraction, completed: completed ? 1 : 0, updated_at: at })
        .onConflict((oc) =>
          oc.columns(["user_id", "chapter_slug"]).doUpdateSet((eb) => ({
            anchor: p.anchor,
            fraction: p.fraction,
            completed: completed ? 1 : eb.ref("reading_progress.completed"),
            updated_at: at,
          })),
        )
        .execute();
      const row = await db.selectFrom("reading_progress").selectAll().where("user_id", "=", userId).where("chapter_slug", "=", slug).executeTakeFirstOrThrow();
      return toProgress(row);
    },

    async listBookmarks(userId: string): Promise<BookmarkRow[]> {
      const rows = await db.selectFrom("bookmark").selectAll().where("user_id", "=", userId).orderBy("created_at", "desc").orderBy("id").limit(MAX_BOOKMARKS).execute();
      return rows.map(toBookmark);
    },

    async countBookmarks(userId: string): Promise<number> {
      const row = await db.selectFrom("bookmark").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** A second bookmark on the same section is the first one, its note updated when one is given. */
    async addBookmark(userId: string, b: { chapterSlug: string; anchor: string | null; note: string | null | undefined }): Promise<{ bookmark: BookmarkRow; created: boolean }> {
      const at = now();
      const anchor = b.anchor ?? "";
      const inserted = await db
        .insertInto("bookmark")
        .values({ id: randomBytes(12).toString("base64url"), user_id: userId, chapter_slug: b.chapterSlug, anchor, note: b.note ?? null, created_at: at, updated_at: at })
        .onConflict((oc) => oc.columns(["user_id", "chapter_slug", "anchor"]).doNothing())
        .returning("id")
        .executeTakeFirst();
      if (!inserted && b.note !== undefined) {
        await db.updateTable("bookmark").set({ note: b.note, updated_at: at }).where("user_id", "=", userId).where("chapter_slug", "=", b.chapterSlug).where("anchor", "=", anchor).execute();
      }
      const row = await db.selectFrom("bookmark").selectAll().where("user_id", "=", userId).where("chapter_slug", "=", b.chapterSlug).where("anchor", "=", anchor).executeTakeFirstOrThrow();
      return { bookmark: toBookmark(row), created: Boolean(inserted) };
    },

    async updateBookmark(userId: string, id: string, note: string | null): Promise<BookmarkRow | undefined> {
      const row = await db.updateTable("bookmark").set({ note, updated_at: now() }).where("id", "=", id).where("user_id", "=", userId).returningAll().executeTakeFirst();
      return row ? toBookmark(row) : undefined;
    },

    async deleteBookmark(userId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom("bookmark").where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type PlaceStore = ReturnType<typeof createPlaceStore>;
