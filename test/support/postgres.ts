/**
 * Test-side PostgreSQL helpers.
 *
 * The vitest global setup (test/support/global-setup.ts) starts a real
 * PostgreSQL server (or uses TEST_PG_URL) and provides its admin URL as
 * `inject('pgUrl')`. Tests should not talk to that database directly: call
 * `createTestPgDatabase()` to get a fresh, isolated database and `drop()` it
 * afterwards.
 *
 *   const db = await createTestPgDatabase();
 *   try { ... use db.url ... } finally { await db.drop(); }
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL of the test PostgreSQL server ('' when TEST_PG=off). */
    pgUrl: string;
  }
}

/**
 * URL of the test PostgreSQL server's admin database. Throws (never skips)
 * when PostgreSQL was disabled with TEST_PG=off or is otherwise unavailable.
 */
export function requirePgUrl(): string {
  let url: string | undefined;
  try {
    url = inject("pgUrl");
  } catch {
    // not inside a vitest worker
  }
  url ||= process.env.TEST_PG_URL;
  if (!url) {
    if (process.env.TEST_PG === "off") {
      throw new Error(
        "This test requires PostgreSQL, but it was disabled with TEST_PG=off. " +
          "Unset TEST_PG (the test setup then starts a server) or set TEST_PG_URL=postgres://...",
      );
    }
    throw new Error(
      "This test requires PostgreSQL, but no server URL was provided. " +
        "Run it through vitest with test/support/global-setup.ts as globalSetup (see vitest.config.ts), " +
        "or set TEST_PG_URL=postgres://...",
    );
  }
  return url;
}

export interface TestPgDatabase {
  /** Connection URL of the fresh database. */
  url: string;
  /** Database name (t_<random>). */
  name: string;
  /** Terminate its connections and drop it. Idempotent. */
  drop(): Promise<void>;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Create a uniquely named, empty database on the test server. */
export async function createTestPgDatabase(): Promise<TestPgDatabase> {
  const adminUrl = requirePgUrl();
  const name = `t_${randomBytes(8).toString("hex")}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING 'UTF8'`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();

  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropped ??= withAdmin(adminUrl, async (c) => {
      const v = await c.query<{ server_version_num: string }>("show server_version_num");
      const force = Number(v.rows[0]?.server_version_num ?? 0) >= 130000;
      await c.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${force ? " WITH (FORCE)" : ""}`);
    });
    return dropped;
  };
  return { url, name, drop };
}
