/** A migrated database of its own for a test: an SQLite file in a temp dir, or a fresh PostgreSQL database. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { DatabaseConfig } from "../../src/server/config/index.ts";
import { openDatabase, type Db } from "../../src/server/db/index.ts";
import { migrateToLatest } from "../../src/server/db/migrator.ts";
import { createTestPgDatabase } from "./postgres.ts";

export interface TestDatabase {
  db: Db;
  /** Another connection (pool) to the same database, as a second instance would have. */
  open(): Db;
  close(): Promise<void>;
}

export async function testDatabase(kind: "sqlite" | "postgres"): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "aibook-db-"));
    return migrated({ kind: "sqlite", file: path.join(dir, "test.db") }, async () => rmSync(dir, { recursive: true, force: true }));
  }
  const pgdb = await createTestPgDatabase();
  return migrated({ kind: "postgres", url: pgdb.url }, () => pgdb.drop());
}

async function migrated(config: DatabaseConfig, remove: () => Promise<void>): Promise<TestDatabase> {
  const db = openDatabase(config);
  await migrateToLatest(db);
  const others: Db[] = [];
  return {
    db,
    open() {
      const other = openDatabase(config);
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) await other.close();
      await db.close();
      await remove();
    },
  };
}
