import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { withStatementCache } from "./index.ts";

describe("SQLite statement cache", () => {
  const open: Kysely<any>[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.destroy();
  });

  function counted(max?: number) {
    const raw = new SQLite(":memory:");
    let prepared = 0;
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((source: string) => {
      prepared++;
      return prepare(source);
    }) as typeof raw.prepare;
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: withStatementCache(raw, max) }) });
    open.push(db);
    return { db, prepared: () => prepared };
  }

  it("compiles a statement once and reuses it with new parameters", async () => {
    const { db, prepared } = counted();
    await sql`create table t (id integer primary key, name text)`.execute(db);
    for (let i = 0; i < 5; i++) await db.insertInto("t").values({ id: i, name: `n${i}` }).execute();
    const before = prepared();
    const names = [];
    for (let i = 0; i < 5; i++) names.push((await db.selectFrom("t").select("name").where("id", "=", i).executeTakeFirst())?.name);
    expect(names).toEqual(["n0", "n1", "n2", "n3", "n4"]);
    expect(prepared() - before).toBe(1);
  });

  it("still answers correctly after the schema changes under a cached statement", async () => {
    const { db } = counted();
    await sql`create table t (id integer primary key, name text)`.execute(db);
    await db.insertInto("t").values({ id: 1, name: "a" }).execute();
    expect(await db.selectFrom("t").selectAll().execute()).toEqual([{ id: 1, name: "a" }]);
    await sql`drop table t`.execute(db);
    await sql`create table t (id integer primary key, name text, extra text default 'x')`.execute(db);
    await db.insertInto("t").values({ id: 2, name: "b" }).execute();
    expect(await db.selectFrom("t").selectAll().execute()).toEqual([{ id: 2, name: "b", extra: "x" }]);
  });

  it("is bounded: the least recently used statement goes first", async () => {
    const { db, prepared } = counted(2);
    await sql`create table t (id integer primary key)`.execute(db);
    const q = (n: number) => sql`select ${sql.lit(n)} as n from t`.execute(db);
    await q(1);
    await q(2);
    await q(1); // 1 is now the most recent
    await q(3); // evicts 2
    const before = prepared();
    await q(1);
    await q(3);
    expect(prepared() - before).toBe(0);
    await q(2);
    expect(prepared() - before).toBe(1);
  });
});
