import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { DEFAULT_PREFERENCES, type Preferences, type PreferencesPatch } from "../../shared/preferences.ts";

export async function getPreferences(db: Kysely<Database>, userId: string): Promise<Preferences> {
  const row = await db.selectFrom("user_preferences").selectAll().where("user_id", "=", userId).executeTakeFirst();
  if (!row) return structuredClone(DEFAULT_PREFERENCES);
  return {
    theme: row.theme as Preferences["theme"],
    language: row.language as Preferences["language"],
    notifications: { security: true, product: Boolean(row.notify_product) },
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
