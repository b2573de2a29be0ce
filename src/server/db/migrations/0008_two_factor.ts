import type { Kysely } from "kysely";
import { dialectTypes } from "./types.ts";

/**
 * Better Auth's two-factor plugin: `user.twoFactorEnabled` and the `twoFactor` table (the TOTP
 * secret, encrypted with the auth secret; the recovery codes; failed-code counting), as its
 * `getMigrations` would create them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = await dialectTypes(db);
  await db.schema.alterTable("user").addColumn("twoFactorEnabled", t.boolean).execute();
  await db.schema
    .createTable("twoFactor")
    .addColumn("id", "text", (c) => c.primaryKey().notNull())
    .addColumn("secret", "text", (c) => c.notNull())
    .addColumn("backupCodes", "text", (c) => c.notNull())
    .addColumn("userId", "text", (c) => c.notNull().references("user.id").onDelete("cascade"))
    .addColumn("verified", t.boolean)
    .addColumn("failedVerificationCount", "integer")
    .addColumn("lockedUntil", t.date)
    .execute();
  await db.schema.createIndex("twoFactor_userId_idx").on("twoFactor").column("userId").execute();
  await db.schema.createIndex("twoFactor_secret_idx").on("twoFactor").column("secret").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("twoFactor").execute();
  await db.schema.alterTable("user").dropColumn("twoFactorEnabled").execute();
}
