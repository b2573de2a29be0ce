import type { Kysely, Selectable } from "kysely";
import type { Database, UserTable } from "../db/schema.ts";
import { dummyPasswordHash } from "./password-hash.ts";

/** The password verifier Better Auth is configured with (auth.ts: `password.verify`). */
type VerifyPassword = (input: { hash: string; password: string }) => Promise<boolean>;

/** Longer passwords are never right (Better Auth's `maxPasswordLength` in auth.ts): they cost no more than a short one. */
const MAX_PASSWORD_LENGTH = 1024;

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
 * time of a refusal tells nothing about the account (ASVS 6.3.8). The verify is the one Better
 * Auth's own routes use, read from its context.
 */
export function createCredentials(db: Kysely<Database>, verifyPassword: VerifyPassword) {
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
    async verify(email: string, password: string): Promise<CredentialCheck> {
      const found = await find(email);
      const hash = found?.hash ?? (await dummyPasswordHash());
      const right = (await verifyPassword({ hash, password })) && password.length <= MAX_PASSWORD_LENGTH;
      if (found?.hash && right) return { ok: true, user: found.user };
      return { ok: false, user: found?.user ?? null, hasPassword: Boolean(found?.hash) };
    },
  };
}

export type Credentials = ReturnType<typeof createCredentials>;
