import { Kysely, Migrator, SqliteAdapter, type Migration, type MigrationResultSet } from "kysely";
import { ImmediateSqliteDialect, type Db } from "./index.ts";
import { migrations } from "./migrations/index.ts";

/**
 * SQLite runs DDL inside transactions, but Kysely's SQLite adapter says it does not, so a
 * failing migration would leave half a schema. This adapter tells the truth, and the
 * Migrator then wraps each run in one transaction on both databases.
 */
class TransactionalSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class TransactionalSqliteDialect extends ImmediateSqliteDialect {
  override createAdapter() {
    return new TransactionalSqliteAdapter();
  }
}

function migratorFor(db: Db, set: Record<string, Migration> = migrations): { migrator: Migrator; done(): Promise<void> } {
  const kysely =
    db.kind === "sqlite" && db.sqlite
      ? new Kysely<any>({ dialect: new TransactionalSqliteDialect({ database: db.sqlite }) })
      : (db.kysely as Kysely<any>);
  const migrator = new Migrator({
    db: kysely,
    provider: { getMigrations: async () => set },
    migrationTableName: "aibook_migration",
    migrationLockTableName: "aibook_migration_lock",
  });
  // The extra SQLite Kysely wraps the same handle: dropping it must not close the database.
  return { migrator, done: async () => {} };
}

export interface MigrationReport {
  applied: string[];
  error?: unknown;
}

function report(result: MigrationResultSet): MigrationReport {
  return {
    applied: (result.results ?? []).filter((r) => r.status === "Success").map((r) => `${r.direction} ${r.migrationName}`),
    error: result.error,
  };
}

/** `options.migrations` replaces the project's set (tests add a failing one to check atomicity). */
export async function migrateToLatest(db: Db, options: { migrations?: Record<string, Migration> } = {}): Promise<MigrationReport> {
  const { migrator, done } = migratorFor(db, options.migrations);
  try {
    const result = report(await migrator.migrateToLatest());
    if (result.error) throw result.error;
    return result;
  } finally {
    await done();
  }
}

export async function rollbackOne(db: Db): Promise<MigrationReport> {
  const { migrator, done } = migratorFor(db);
  try {
    const result = report(await migrator.migrateDown());
    if (result.error) throw result.error;
    return result;
  } finally {
    await done();
  }
}

export async function migrationStatus(db: Db): Promise<{ name: string; executedAt: Date | null }[]> {
  const { migrator, done } = migratorFor(db);
  try {
    const list = await migrator.getMigrations();
    return list.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }));
  } finally {
    await done();
  }
}
