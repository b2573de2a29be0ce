import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { symmetricDecrypt } from "better-auth/crypto";
import type { Logger } from "pino";
import type { Db } from "../db/index.ts";

/**
 * Recovery codes stored as keyed hashes (ASVS 6.5.2), never as text or as something the server
 * can decrypt. Better Auth's two-factor plugin stores them encrypted with the auth secret; its
 * `storeBackupCodes: { encrypt, decrypt }` hook lets us choose the stored form, and this module
 * is that form: a JSON array of `h1:` + base64url HMAC-SHA-256 of each code, keyed by a key
 * derived from the auth secret (HKDF), so checking a code is one HMAC and one constant-time
 * comparison per stored code. docs/decisions/015-recovery-codes-hashed.md
 *
 * Better Auth compares the `code` it is given with the stored list itself (`includes`): the
 * plugin's before-hook (plugins/second-factor.ts) hands it the matching stored hash, found here
 * in constant time, or a value that matches nothing.
 */
export interface RecoveryCodes {
  /** Better Auth's `backupCodeOptions.storeBackupCodes`: what the `twoFactor.backupCodes` column holds. */
  store: { encrypt(json: string): Promise<string>; decrypt(stored: string): Promise<string> };
  /** The stored hash `code` matches in `stored` (the column's value), else null. */
  match(stored: string, code: string): Promise<string | null>;
  /** A `code` for Better Auth that matches no stored hash. */
  readonly noMatch: string;
  /** Rewrite rows still in Better Auth's encrypted form as hashes; returns how many were rewritten. */
  rehashEncrypted(db: Db, logger: Logger): Promise<number>;
}

const PREFIX = "h1:";
/** `h1:` and a base64url SHA-256 (43 characters). */
const HASH_FORMAT = /^h1:[A-Za-z0-9_-]{43}$/;

export function createRecoveryCodes(secret: string): RecoveryCodes {
  const key = Buffer.from(hkdfSync("sha256", secret, "", "aibook recovery codes v1", 32));
  const hash = (code: string) => PREFIX + createHmac("sha256", key).update(code.trim()).digest("base64url");

  /** The stored hashes, from either form: ours (a JSON array) or Better Auth's encryption of the plain codes. */
  async function hashesOf(stored: string): Promise<string[]> {
    const list = stored.startsWith("[") ? parse(stored) : parse(await symmetricDecrypt({ key: secret, data: stored }));
    return list.map((item) => (HASH_FORMAT.test(item) ? item : hash(item)));
  }

  return {
    store: {
      // Better Auth hands over the plain codes (enrolment, new codes) or, after a use, the list
      // `decrypt` gave it less the used one: already hashes.
      encrypt: async (json) => JSON.stringify(parse(json).map((item) => (HASH_FORMAT.test(item) ? item : hash(item)))),
      decrypt: async (stored) => JSON.stringify(await hashesOf(stored)),
    },
    async match(stored, code) {
      const given = Buffer.from(hash(code));
      let found: string | null = null;
      for (const candidate of await hashesOf(stored)) {
        const other = Buffer.from(candidate);
        // Every stored hash is compared, so the time says nothing of which one matched.
        if (other.length === given.length && timingSafeEqual(other, given)) found = candidate;
      }
      return found;
    },
    noMatch: PREFIX,
    async rehashEncrypted(db, logger) {
      const rows = await db.kysely
        .selectFrom("twoFactor")
        .select(["id", "backupCodes"])
        .where("backupCodes", "not like", "[%")
        .execute()
        .catch((err: unknown) => {
          // Not migrated yet (the CLI starts without migrating): nothing to rewrite.
          logger.warn({ err: err instanceof Error ? err.message : String(err) }, "recovery codes not checked for the encrypted form");
          return [];
        });
      let done = 0;
      for (const row of rows) {
        try {
          const hashes = JSON.stringify(await hashesOf(row.backupCodes));
          // Unless a code was used meanwhile (its row then holds hashes already).
          await db.kysely.updateTable("twoFactor").set({ backupCodes: hashes }).where("id", "=", row.id).where("backupCodes", "=", row.backupCodes).execute();
          done++;
        } catch (err) {
          logger.warn({ err: err instanceof Error ? err.message : String(err), twoFactorId: row.id }, "recovery codes not readable with this secret; left as they are");
        }
      }
      if (done) logger.info({ rows: done }, "recovery codes rewritten as hashes");
      return done;
    },
  };
}

function parse(json: string): string[] {
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error("recovery codes: not a list");
  return value.filter((item): item is string => typeof item === "string");
}
