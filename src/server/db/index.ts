import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from "kysely";
import pg from "pg";
import type { DatabaseConfig } from "../config/index.ts";
import type { Database } from "./schema.ts";

export type { Database } from "./schema.ts";

export interface Db {
  kind: DatabaseConfig["kind"];
  kysely: Kysely<Database>;
  /** The raw better-sqlite3 handle (SQLite only) for prepared hot-path statements. */
  sqlite?: SQLite.Database;
  pool?: pg.Pool;
  close(): Promise<void>;
}

// int8 (bigint) columns hold epoch milliseconds; they fit a JS number exactly.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * SQLite transactions take the write lock when they begin (BEGIN IMMEDIATE), where the busy
 * timeout applies. A deferred BEGIN reads first and upgrades at its first write; if another
 * process wrote in between, SQLite fails at once with SQLITE_BUSY (the busy handler is not
 * called for a stale snapshot), which surfaced as a failed sign-up or refresh when two
 * processes share one file. Within one process Kysely runs transactions one at a time anyway.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely's SQLite driver prepares every query anew; compiling the SQL was about a tenth of a
 * sign-in's CPU (profiled). The same few dozen statements run all day, so keep them compiled:
 * better-sqlite3 statements are reusable (`all`/`run` finish before returning; nothing here
 * streams), and SQLite recompiles one by itself after a schema change. Bounded, least recently
 * used first out, so SQL with inlined values cannot grow it without end.
 */
export function withStatementCache(db: SQLite.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // re-insert: most recently used last
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt as unknown as ReturnType<SqliteDatabase["prepare"]>;
    },
    close() {
      cache.clear();
      db.close();
    },
  };
}

export interface DatabaseHooks {
  /**
   * Every database error where it happens: a query, a transaction's begin or end, getting a
   * connection (PostgreSQL down: the pool cannot connect). auth/plugins/unfinished-work.ts listens.
   */
  onError?(err: unknown): void;
}

/**
 * A dialect whose driver reports every error it throws, then throws it on. Kysely's own error
 * log sees only failed queries, not a connection that cannot be had, which is what a database
 * that is down or restarting gives.
 */
function reportingDialect(dialect: Dialect, report: (err: unknown) => void): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new ReportingDriver(dialect.createDriver(), report),
  };
}

class ReportingDriver implements Driver {
  /** Our connection wrappers, to hand the driver its own connections back. */
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  constructor(
    private readonly driver: Driver,
    private readonly report: (err: unknown) => void,
  ) {}

  async #run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.report(err);
      throw err;
    }
  }
  #unwrap = (connection: DatabaseConnection) => this.#inner.get(connection) ?? connection;

  init = () => this.#run(() => this.driver.init());
  destroy = () => this.driver.destroy();
  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#run(() => this.driver.acquireConnection());
    const run = <T>(work: () => Promise<T>) => this.#run(work);
    const wrapped: DatabaseConnection = {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => run(() => connection.executeQuery<R>(query)),
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    };
    this.#inner.set(wrapped, connection);
    return wrapped;
  }
  beginTransaction = (c: DatabaseConnection, settings: TransactionSettings) => this.#run(() => this.driver.beginTransaction(this.#unwrap(c), settings));
  commitTransaction = (c: DatabaseConnection) => this.#run(() => this.driver.commitTransaction(this.#unwrap(c)));
  rollbackTransaction = (c: DatabaseConnection) => this.#run(() => this.driver.rollbackTransaction(this.#unwrap(c)));
  releaseConnection = (c: DatabaseConnection) => this.driver.releaseConnection(this.#unwrap(c));
  savepoint = (c: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver["savepoint"]>>[2]) =>
    this.#run(() => this.driver.savepoint!(this.#unwrap(c), name, compile));
  rollbackToSavepoint = (c: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver["savepoint"]>>[2]) =>
    this.#run(() => this.driver.rollbackToSavepoint!(this.#unwrap(c), name, compile));
  releaseSavepoint = (c: DatabaseConnection, name: string, compile: Parameters<NonNullable<Driver["savepoint"]>>[2]) =>
    this.#run(() => this.driver.releaseSavepoint!(this.#unwrap(c), name, compile));
}

/** Open the database named by the config: SQLite (WAL, busy timeout) or a PostgreSQL pool. */
export function openDatabase(config: DatabaseConfig, hooks: DatabaseHooks = {}): Db {
  const dialect = (d: Dialect) => (hooks.onError ? reportingDialect(d, hooks.onError) : d);
  if (config.kind === "sqlite") {
    if (config.file !== ":memory:") mkdirSync(path.dirname(path.resolve(config.file)), { recursive: true, mode: 0o700 });
    const sqlite = new SQLite(config.file);
    sqlite.pragma("journal_mode = WAL");
    // Writers wait for each other instead of failing with SQLITE_BUSY.
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    const kysely = new Kysely<Database>({ dialect: dialect(new ImmediateSqliteDialect({ database: withStatementCache(sqlite) })) });
    return {
      kind: "sqlite",
      kysely,
      sqlite,
      async close() {
        await kysely.destroy();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: config.url, max: 10 });
  // A backend restart kills idle clients; without a listener that error would crash the process.
  pool.on("error", () => {});
  // The same for a client checked out but between queries (a transaction's next statement, a
  // request awaiting something else): pg emits "error" on the client itself, and without a
  // listener that killed the process. Its next query fails instead (503), and the pool drops it.
  pool.on("connect", (client) => client.on("error", () => {}));
  const kysely = new Kysely<Database>({ dialect: dialect(new PostgresDialect({ pool })) });
  return {
    kind: "postgres",
    kysely,
    pool,
    async close() {
      await kysely.destroy();
    },
  };
}
