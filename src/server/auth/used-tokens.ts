import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

export interface UsedTokens {
  /** Record a link as used; false when it already was (two requests at once: one wins). */
  claim(purpose: string, token: string, expiresAt: number): Promise<boolean>;
  /** Undo a claim whose use did not go through (Better Auth refused the link). */
  release(purpose: string, token: string): Promise<void>;
}

/**
 * Single-use links (ASVS 6.4.1): Better Auth's verification links are stateless JWTs, valid
 * until they expire; a hash of each one used is kept until then (table used_token, purged by
 * the retention job).
 */
export function createUsedTokens(db: Kysely<Database>): UsedTokens {
  return {
    async claim(purpose, token, expiresAt) {
      const result = await db
        .insertInto("used_token")
        .values({ token_hash: sha(`${purpose}:${token}`), purpose, expires_at: expiresAt })
        .onConflict((oc) => oc.column("token_hash").doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async release(purpose, token) {
      await db.deleteFrom("used_token").where("token_hash", "=", sha(`${purpose}:${token}`)).execute();
    },
  };
}
