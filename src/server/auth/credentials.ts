import type { Kysely, Selectable } from "kysely";
import type { Database, UserTable } from "../db/schema.ts";
import { dummyPasswordHash } from "./password-hash.ts";

/** The password rules Better Auth is configured with (auth.ts), read from its context. */
export interface PasswordConfig {
  verify(input: { hash: string; password: string }): Promise<boolean>;
  /** Longer passwords are never right, and are not hashed (Better Auth's `maxPasswordLength`). */
  maxPasswordLength: number;
}

export type CredentialUser = Selectable<UserTable>;

export type CredentialCheck =
  | { ok: true; user: CredentialUser }
  /** `user`: the account of that email, if any; `hasPassword`: whether it has one to check (else: a social account). */
  | { ok: false; user: CredentialUser | null; hasPassword: boolean };

/**
 * The one password check of every path that takes a password outside Better Auth's handler: the
 * sign-in fast path, the token API's password grant, account deletion with a password.
 *
 * One query finds the account and its credential, as Better Auth's sign-in picks it (the
 * `credential` account of the user, by an exact address after Unicode normalisation). One
 * timing defence: an unknown address, an account without a password and a wrong password all
 * cost the same argon2 verify (against a real dummy hash when there is nothing to check), so the
 * time of a refusal tells nothing about the account (ASVS 6.3.8). An over-long password is
 * refused without hashing (its length is the caller's own knowledge). The verify and the length
 * limit are the ones Better Auth's own routes use, read from its context.
 */
export function createCredentials(db: Kysely<Database>, password: PasswordConfig) {
  async function find(email: string) {
    const row = await db
      .selectFrom("user")
      .leftJoin("account", (join) =>
        join.onRef("account.userId", "=", "user.id").onRef("account.accountId", "=", "user.id").on("account.providerId", "=", "credential"),
      )
      .selectAll("user")
      .select("account.password as credentialPassword")
      .where("user.email", "=", email.toLowerCase())
      .executeTakeFirst();
    if (!row) return null;
    // Better Auth's own guard against a lookup that matched by collation rather than by value.
    const normalize = (value: string) => value.normalize("NFC").toLowerCase();
    if (normalize(row.email) !== normalize(email)) return null;
    const { credentialPassword, ...user } = row;
    return { user: user as CredentialUser, hash: credentialPassword ?? null };
  }

  return {
    async verify(email: string, candidate: string): Promise<CredentialCheck> {
      const found = await find(email);
      const refused: CredentialCheck = { ok: false, user: found?.user ?? null, hasPassword: Boolean(found?.hash) };
      if (candidate.length > password.maxPasswordLength) return refused;
      const right = await password.verify({ hash: found?.hash ?? (await dummyPasswordHash()), password: candidate });
      return found?.hash && right ? { ok: true, user: found.user } : refused;
    },
  };
}

export type Credentials = ReturnType<typeof createCredentials>;
