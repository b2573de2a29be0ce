import type { Kysely } from "kysely";
import type { Db } from "../db/index.ts";
import { isFresh } from "../auth/caller.ts";
import type { Database } from "../db/schema.ts";
import { DEFAULT_PREFERENCES, type Preferences, type PreferencesPatch } from "../../shared/preferences.ts";

type PreferencesRow = Pick<Database["user_preferences"], "theme" | "language" | "notify_product">;

function fromRow(row: PreferencesRow | undefined): Preferences {
  if (!row) {
    const { theme, language, notifications } = DEFAULT_PREFERENCES;
    return { theme, language, notifications: { ...notifications } };
  }
  return {
    theme: row.theme as Preferences["theme"],
    language: row.language as Preferences["language"],
    notifications: { security: true, product: Boolean(row.notify_product) },
  };
}

export async function getPreferences(db: Kysely<Database>, userId: string): Promise<Preferences> {
  return fromRow(await db.selectFrom("user_preferences").selectAll().where("user_id", "=", userId).executeTakeFirst());
}

export interface PreferencesReader {
  read(userId: string): Promise<Preferences>;
  /** `read`, without a promise when the preferences are cached (the hot path). */
  readNow(userId: string): Preferences | Promise<Preferences>;
  /** Drop a user's cached preferences (after a change, a merge, a deletion...). */
  forget(userId: string): void;
}

/**
 * `getPreferences` for the hot path (GET /api/v1/me on every page): remembered per user for
 * `ttlMs` (2 s, as the caller's user rows), dropped at once by `forget` (PATCH, and everything
 * that drops the caller cache: merge, deletion, sign-out...). Another process sharing the
 * database sees a change within `ttlMs`.
 */
export function preferencesReader(db: Db, options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}): PreferencesReader {
  const ttl = options.ttlMs ?? 2_000;
  const maxEntries = options.maxEntries ?? 50_000;
  const now = options.now ?? (() => Date.now());
  const cache = new Map<string, { value: Preferences; at: number }>();
  // Through Kysely, so a miss waits its turn on SQLite's one connection like every query (a raw
  // statement of its own could read another request's transaction before it committed).
  const load = (userId: string) => getPreferences(db.kysely, userId);
  async function loadAndRemember(userId: string): Promise<Preferences> {
    const value = await load(userId);
    // Shared between requests: frozen, so no caller can change what the next one sees.
    Object.freeze(value.notifications);
    Object.freeze(value);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(userId, { value, at: now() });
    return value;
  }
  function readNow(userId: string): Preferences | Promise<Preferences> {
    const hit = cache.get(userId);
    return hit && isFresh(hit.at, now(), ttl) ? hit.value : loadAndRemember(userId);
  }
  return {
    readNow,
    async read(userId) {
      return readNow(userId);
    },
    forget(userId) {
      cache.delete(userId);
    },
  };
}

export async function updatePreferences(db: Kysely<Database>, userId: string, patch: PreferencesPatch): Promise<Preferences> {
  const current = await getPreferences(db, userId);
  const next: Preferences = {
    theme: patch.theme ?? current.theme,
    language: patch.language ?? current.language,
    notifications: { security: true, product: patch.notifications?.product ?? current.notifications.product },
  };
  const values = {
    theme: next.theme,
    language: next.language,
    notify_product: next.notifications.product ? 1 : 0,
    updated_at: Date.now(),
  };
  await db
    .insertInto("user_preferences")
    .values({ user_id: userId, ...values })
    .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
    .execute();
  return next;
}
