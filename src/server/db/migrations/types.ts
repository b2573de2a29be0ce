import { sql, type Kysely } from "kysely";

/** Column types that differ between SQLite and PostgreSQL, chosen as Better Auth chooses them. */
export async function dialectTypes(db: Kysely<any>) {
  const postgres = await isPostgres(db);
  return {
    postgres,
    boolean: postgres ? ("boolean" as const) : ("integer" as const),
    date: postgres ? ("timestamptz" as const) : ("date" as const),
  };
}

async function isPostgres(db: Kysely<any>): Promise<boolean> {
  try {
    await sql`select version()`.execute(db);
    return true;
  } catch {
    return false;
  }
}
