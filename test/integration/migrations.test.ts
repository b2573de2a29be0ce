/**
 * Database migrations on both databases: migrate, status, rollback, migrate again; a failing
 * migration leaves the schema exactly as it was (one transaction, SQLite included); SQLite and
 * PostgreSQL end up with the same tables, columns and indexes; the housekeeping queries use the
 * indexes made for them; and the `npm run db` CLI.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Kysely, SqliteDialect, sql, type Migration } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { purgeAbandonedAnonymous } from "../../src/server/chat/anonymous-purge.ts";
import { openDatabase, type Database, type Db } from "../../src/server/db/index.ts";
import { purgeExpired } from "../../src/server/maintenance/retention.ts";
import { migrateToLatest, migrationStatus, rollbackOne } from "../../src/server/db/migrator.ts";
import { migrations } from "../../src/server/db/migrations/index.ts";
import { DB_KINDS, type DbKind } from "../support/instance.ts";
import { createTestPgDatabase } from "../support/postgres.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");

/** Tables the auth and app migrations must create (later migrations may add more). */
const REQUIRED_TABLES = [
  "user",
  "session",
  "account",
  "verification",
  "jwks",
  "user_preferences",
  "security_event",
  "refresh_token",
  "rate_limit_counter",
  "used_token",
];
const NAMES = Object.keys(migrations);
const LAST = NAMES.at(-1)!;

type Schema = Record<string, string[]>;

/**
 * table → sorted column names, from Kysely's introspection; and `index <name>` → its table and
 * columns in order, for every index a migration created (not those behind a primary key or a
 * unique column): a migration that only adds indexes changes the schema too.
 */
async function schemaOf(db: Db): Promise<Schema> {
  const tables = await db.kysely.introspection.getTables();
  const entries = tables.map((t) => [t.name, t.columns.map((c) => c.name).sort()] as const);
  for (const index of await indexesOf(db)) entries.push([`index ${index.name}`, [index.table, ...index.columns]]);
  return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
}

async function indexesOf(db: Db): Promise<{ name: string; table: string; columns: string[] }[]> {
  if (db.kind === "sqlite") {
    const rows = await sql<{ name: string; table: string }>`select "name", "tbl_name" as "table" from sqlite_master where "type" = 'index' and "sql" is not null`.execute(db.kysely);
    return Promise.all(
      rows.rows.map(async (r) => {
        const cols = await sql<{ name: string }>`select "name" from pragma_index_info(${r.name}) order by "seqno"`.execute(db.kysely);
        return { ...r, columns: cols.rows.map((c) => c.name) };
      }),
    );
  }
  const rows = await sql<{ name: string; table: string; columns: string[] }>`
    select i.relname as "name", t.relname as "table", array_agg(a.attname::text order by k.ord) as "columns"
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    cross join lateral unnest(x.indkey) with ordinality as k(attnum, ord)
    join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
    where n.nspname = current_schema() and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)
    group by i.relname, t.relname`.execute(db.kysely);
  return rows.rows;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** A fresh, empty database of the given kind; closed and removed after the file. */
async function freshDb(kind: DbKind): Promise<Db> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "aibook-mig-"));
    const db = openDatabase({ kind: "sqlite", file: path.join(dir, "test.db") });
    cleanups.push(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return db;
  }
  const pgdb = await createTestPgDatabase();
  const db = openDatabase({ kind: "postgres", url: pgdb.url });
  cleanups.push(async () => {
    await db.close();
    await pgdb.drop();
  });
  return db;
}

/** A migration that does real work, then fails: nothing of it (or of its run) may remain. */
const failingHalfway: Migration = {
  async up(db) {
    await db.schema.createTable("half_done").addColumn("id", "text", (c) => c.primaryKey()).execute();
    await db.schema.alterTable("user").addColumn("half_column", "text").execute();
    await sql`this is not sql at all`.execute(db);
  },
  async down() {},
};

describe.each(DB_KINDS)("migrations on %s", (kind) => {
  it("migrate to latest creates every table, and status lists every migration as applied", async () => {
    const db = await freshDb(kind);
    const before = await migrationStatus(db);
    expect(before.map((m) => m.name)).toEqual(NAMES);
    expect(before.every((m) => m.executedAt === null)).toBe(true);

    const { applied } = await migrateToLatest(db);
    expect(applied).toEqual(NAMES.map((n) => `Up ${n}`));
    const tables = Object.keys(await schemaOf(db));
    expect(tables).toEqual(expect.arrayContaining(REQUIRED_TABLES));

    const status = await migrationStatus(db);
    expect(status.map((m) => m.name)).toEqual(NAMES);
    for (const m of status) expect(m.executedAt, m.name).toBeInstanceOf(Date);

    // Running again is a no-op.
    expect((await migrateToLatest(db)).applied).toEqual([]);
  });

  it("rollback undoes exactly the last migration, and migrating again restores the schema", async () => {
    const db = await freshDb(kind);
    await migrateToLatest(db);
    const latest = await schemaOf(db);

    // What the schema looks like with every migration but the last.
    const reference = await freshDb(kind);
    const { [LAST]: _last, ...allButLast } = migrations;
    await migrateToLatest(reference, { migrations: allButLast });
    const expected = await schemaOf(reference);
    expect(expected).not.toEqual(latest);

    const { applied } = await rollbackOne(db);
    expect(applied).toEqual([`Down ${LAST}`]);
    const rolledBack = await schemaOf(db);
    expect(rolledBack).toEqual(expected);
    // The tables the last migration created are gone; the earlier ones are untouched.
    const dropped = Object.keys(latest).filter((t) => !(t in rolledBack));
    for (const t of dropped) expect(t in expected, t).toBe(false);
    expect(Object.keys(rolledBack)).toEqual(expect.arrayContaining(REQUIRED_TABLES));

    const status = await migrationStatus(db);
    expect(status.find((m) => m.name === LAST)?.executedAt).toBeNull();
    expect(status.filter((m) => m.name !== LAST).every((m) => m.executedAt instanceof Date)).toBe(true);

    expect((await migrateToLatest(db)).applied).toEqual([`Up ${LAST}`]);
    expect(await schemaOf(db)).toEqual(latest);
  });

  it("a migration failing half-way leaves the schema as it was (one transaction)", async () => {
    const db = await freshDb(kind);
    await migrateToLatest(db);
    const before = await schemaOf(db);

    await expect(migrateToLatest(db, { migrations: { ...migrations, "9999_fails_halfway": failingHalfway } })).rejects.toThrow();

    const after = await schemaOf(db);
    expect(after).not.toHaveProperty("half_done");
    expect(after.user).not.toContain("half_column");
    expect(after).toEqual(before);
    const status = await migrationStatus(db);
    expect(status.every((m) => m.executedAt instanceof Date)).toBe(true);
    // The failed one is not recorded as applied.
    const recorded = await sql<{ name: string }>`select name from aibook_migration`.execute(db.kysely);
    expect(recorded.rows.map((r) => r.name).sort()).toEqual([...NAMES].sort());
  });

  it("on an empty database, a failing run applies none of its migrations", async () => {
    const db = await freshDb(kind);
    await expect(migrateToLatest(db, { migrations: { ...migrations, "9999_fails_halfway": failingHalfway } })).rejects.toThrow();
    const after = Object.keys(await schemaOf(db));
    for (const t of [...REQUIRED_TABLES, "half_done"]) expect(after, t).not.toContain(t);
    expect((await migrationStatus(db)).every((m) => m.executedAt === null)).toBe(true);
    // And the real migrations still apply cleanly afterwards.
    expect((await migrateToLatest(db)).applied).toEqual(NAMES.map((n) => `Up ${n}`));
  });
});

describe("0007_scale_indexes", () => {
  // SQLite has no statistics here (the app never runs ANALYZE), so its plans do not depend on the
  // data: an empty database shows them. The partial index of the anonymous purge is used only
  // while the query's condition is the index's own, word for word.
  it("on SQLite, the housekeeping queries (anonymous purge, retention) read their indexes, not whole tables", async () => {
    const db = await freshDb("sqlite");
    await migrateToLatest(db);
    const sent: { sql: string; parameters: readonly unknown[] }[] = [];
    // The same database through a Kysely that records what it sends (not destroyed: that would close the handle).
    const recorded = new Kysely<Database>({
      dialect: new SqliteDialect({ database: db.sqlite! }),
      log: (e) => void (e.level === "query" && sent.push({ sql: e.query.sql, parameters: e.query.parameters })),
    });
    await purgeAbandonedAnonymous(recorded, 30);
    await purgeExpired(recorded, { securityEventDays: 365, expiredDays: 7, mailLogDays: 30, accessTokenTtlMs: 900_000 });
    expect(sent).toHaveLength(1 + 11);
    for (const q of sent) {
      const plan = (db.sqlite!.prepare(`explain query plan ${q.sql}`).all(...q.parameters) as { detail: string }[]).map((r) => r.detail);
      expect(plan.filter((line) => line.startsWith("SCAN ")), `${q.sql}\n${plan.join("\n")}`).toEqual([]);
    }
  });
});

describe("SQLite and PostgreSQL schemas", () => {
  it("have the same tables, the same columns in each, and the same indexes", async () => {
    const [lite, pg] = await Promise.all([freshDb("sqlite"), freshDb("postgres")]);
    await Promise.all([migrateToLatest(lite), migrateToLatest(pg)]);
    const [a, b] = await Promise.all([schemaOf(lite), schemaOf(pg)]);
    expect(Object.keys(a)).toEqual(expect.arrayContaining(REQUIRED_TABLES));
    expect(a).toEqual(b);
  });
});

describe("npm run db (CLI) on a temporary SQLite DATA_DIR", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-cli-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const env = {
    ...process.env,
    NODE_ENV: "development",
    DATA_DIR: dataDir,
    DATABASE_URL: "",
    BETTER_AUTH_SECRET: "",
    LOG_LEVEL: "silent",
  };
  async function db(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return dbIn(dataDir, ...args);
  }
  async function dbIn(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run("npm", ["run", "--silent", "db", "--", ...args], { cwd: ROOT, env: { ...env, DATA_DIR: dir }, timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
  }
  const lines = (s: string) => s.split("\n").map((l) => l.trim()).filter(Boolean);

  it("status, migrate, status, migrate again, rollback print one line per migration and exit 0", async () => {
    const file = path.join(dataDir, "aibook.db");

    // The usage error runs alongside, on a directory of its own.
    const otherDir = mkdtempSync(path.join(tmpdir(), "aibook-cli-"));
    const [pending, usage] = await Promise.all([db("status"), dbIn(otherDir, "frobnicate")]);
    rmSync(otherDir, { recursive: true, force: true });
    expect(pending.code, pending.stderr).toBe(0);
    expect(lines(pending.stdout)).toEqual([`database: ${file}`, ...NAMES.map((n) => `pending  ${n}`)]);
    // A usage error exits 2 and says how to use it.
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: npm run db -- migrate | rollback | status");

    const migrate = await db("migrate");
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(lines(migrate.stdout)).toEqual(NAMES.map((n) => `applied Up ${n}`));

    const [applied, again] = [await db("status"), await db("migrate")];
    expect(applied.code).toBe(0);
    const appliedLines = lines(applied.stdout).slice(1);
    expect(appliedLines).toHaveLength(NAMES.length);
    NAMES.forEach((n, i) => expect(appliedLines[i]).toMatch(new RegExp(`^applied +${n} +\\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`)));
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toEqual(["already up to date"]);

    const rollback = await db("rollback");
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(lines(rollback.stdout)).toEqual([`rolled back ${LAST}`]);
    const last = await db("status");
    expect(lines(last.stdout).at(-1)).toBe(`pending  ${LAST}`);
    for (const out of [pending, migrate, applied, again, rollback, last]) expect(out.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  }, 60_000);
});
