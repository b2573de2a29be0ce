import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/index.ts";
import { migrateToLatest } from "../db/migrator.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { interruptOrphanedAnswers, newStreamOwner, streamInstance } from "./answer-recovery.ts";

/**
 * Which "streaming" answers are orphaned (their writer died) — and, as important with several
 * instances on one PostgreSQL, which are not. The kill -9 end to end is test/reliability/crash.test.ts.
 */
describe("interruptOrphanedAnswers", () => {
  let db: Db;
  const NOW = 1_800_000_000_000;
  const MIN = 60_000;

  beforeAll(async () => {
    db = openDatabase({ kind: "sqlite", file: ":memory:" });
    await migrateToLatest(db);
    const at = new Date(NOW).toISOString();
    await sql`insert into "user" (id, name, email, "emailVerified", "createdAt", "updatedAt") values ('u1', 'U', 'u@example.com', 0, ${at}, ${at})`.execute(db.kysely);
  });
  afterAll(async () => {
    await db.close();
  });

  let seq = 0;
  async function answer(owner: string | null, chatUpdatedAt: number, status = "streaming") {
    const chatId = `c${++seq}`;
    await db.kysely.insertInto("chat").values({ id: chatId, owner_id: "u1", title: "t", created_at: chatUpdatedAt, updated_at: chatUpdatedAt }).execute();
    const id = `m${seq}`;
    await db.kysely
      .insertInto("message")
      .values({ id, chat_id: chatId, role: "assistant", content: "", citations: null, status, error_code: null, created_at: chatUpdatedAt, stream_owner: owner })
      .execute();
    return id;
  }
  const statusOf = async (id: string) =>
    (await db.kysely.selectFrom("message").select(["status", "error_code"]).where("id", "=", id).executeTakeFirstOrThrow());

  it("after a restart: this instance's earlier processes' answers are interrupted at once; live ones elsewhere are not", async () => {
    const here = streamInstance(7860, "web-1");
    const self = newStreamOwner(here);
    const mine = await answer(self, NOW);
    const predecessor = await answer(newStreamOwner(here), NOW - 1000);
    const otherInstance = await answer(newStreamOwner(streamInstance(7860, "web-2")), NOW - 1000);
    const otherPort = await answer(newStreamOwner(streamInstance(7861, "web-1")), NOW - 1000);
    // A host name that merely starts like ours is another instance.
    const prefixHost = await answer(newStreamOwner(streamInstance(78601, "web-1")), NOW - 1000);
    const done = await answer(newStreamOwner(here), NOW - 1000, "complete");

    const n = await interruptOrphanedAnswers(db.kysely, { self, instance: here, olderThan: NOW - 10 * MIN });
    expect(n).toBe(1);
    expect(await statusOf(predecessor)).toEqual({ status: "interrupted", error_code: "INTERRUPTED" });
    for (const id of [mine, otherInstance, otherPort, prefixHost]) expect((await statusOf(id)).status, id).toBe("streaming");
    expect((await statusOf(done)).status).toBe("complete");
  });

  it("maintenance: any instance's answer whose chat has not moved for longer than an answer may take (untagged rows too)", async () => {
    const self = newStreamOwner(streamInstance(7860, "web-3"));
    const stale = await answer(newStreamOwner(streamInstance(7860, "web-9")), NOW - 11 * MIN);
    const untagged = await answer(null, NOW - 11 * MIN);
    const recent = await answer(newStreamOwner(streamInstance(7860, "web-9")), NOW - 2 * MIN);
    const mineOld = await answer(self, NOW - 11 * MIN); // ours is alive by definition

    await interruptOrphanedAnswers(db.kysely, { self, olderThan: NOW - 10 * MIN });
    expect((await statusOf(stale)).status).toBe("interrupted");
    expect((await statusOf(untagged)).status).toBe("interrupted");
    expect((await statusOf(recent)).status).toBe("streaming");
    expect((await statusOf(mineOld)).status).toBe("streaming");
  });
});

describe("isDatabaseUnavailable", () => {
  const err = (props: Record<string, unknown>, message = "x") => Object.assign(new Error(message), props);
  it("connection loss, shutdown, resources, busy/read-only/full SQLite: yes", () => {
    for (const e of [
      err({ code: "ECONNREFUSED" }),
      err({ code: "57P01" }, "terminating connection due to administrator command"),
      err({ code: "57P03" }),
      err({ code: "08006" }),
      err({ code: "53100" }),
      err({ code: "25006" }),
      new Error("Connection terminated unexpectedly"),
      err({ code: "SQLITE_BUSY" }),
      err({ code: "SQLITE_BUSY_SNAPSHOT" }),
      err({ code: "SQLITE_READONLY" }),
      err({ code: "SQLITE_FULL" }),
      err({ code: "SQLITE_IOERR_WRITE" }),
      new Error("wrapped", { cause: err({ code: "ECONNRESET" }) }),
      Object.assign(new AggregateError([err({ code: "ECONNREFUSED" })], "")),
    ]) {
      expect(isDatabaseUnavailable(e), String((e as { code?: string }).code ?? e.message)).toBe(true);
    }
  });
  it("bad requests and bugs: no", () => {
    for (const e of [
      err({ code: "23505" }, "duplicate key"),
      err({ code: "22P02" }, "invalid input syntax"),
      err({ code: "42P01" }, "relation does not exist"),
      err({ code: "SQLITE_CONSTRAINT_UNIQUE" }),
      err({ code: "SQLITE_ERROR" }, "no such table"),
      new TypeError("undefined is not a function"),
      null,
      "SQLITE_BUSY",
    ]) {
      expect(isDatabaseUnavailable(e)).toBe(false);
    }
  });
});
