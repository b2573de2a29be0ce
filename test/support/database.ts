/** A migrated database of its own for a test: an SQLite file in a temp dir, or a fresh PostgreSQL database. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type Db } from "../../src/server/db/index.ts";
import { migrateToLatest } from "../../src/server/db/migrator.ts";
import { createTestPgDatabase } from "./postgres.ts";

export async function testDatabase(kind: "sqlite" | "postgres"): Promise<{ db: Db; open(): Db; close(): Promise<void> }> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "aibook-db-"));
    const config = { kind: "sqlite" as const, file: path.join(dir, "test.db") };
    const db = openDatabase(config);
    await migrateToLatest(db);
    const extra: Db[] = [];
    return {
      db,
      open: () => {
        const other = openDatabase(config);
        extra.push(other);
        return other;
      },
      async close() {
        for (const d of extra) await d.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pgdb = await createTestPgDatabase();
  const config = { kind: "postgres" as const, url: pgdb.url };
  const db = openDatabase(config);
  await migrateToLatest(db);
  const extra: Db[] = [];
  return {
    db,
    open: () => {
      const other = openDatabase(config);
      extra.push(other);
      return other;
    },
    async close() {
      for (const d of extra) await d.close();
      await db.close();
      await pgdb.drop();
    },
  };
}
