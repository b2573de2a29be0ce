import SQLite from "better-sqlite3";
import { Redis } from "ioredis";
import { Kysely, SqliteDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counterStoreContract } from "../../../test/support/counter-store-contract.ts";
import {
  createMemoryCounterStore,
  createRedisCounterStore,
  createSqlCounterStore,
  sqlCounterKey,
} from "./counter-store.ts";
import { startRedisServer, type RedisTestServer } from "../../../test/support/redis.ts";
import { manualClock } from "../../../test/support/time.ts";

const DDL = sql`create table rate_limit_counter (key varchar(255) primary key, count integer not null, reset_at bigint not null)`;


async function openSqlite(now: () => number, onQuery?: (sqlText: string) => void) {
  const db = new Kysely<any>({
    dialect: new SqliteDialect({ database: new SQLite(":memory:") }),
    log: (event) => onQuery?.(event.query.sql),
  });
  await DDL.execute(db);
  return { db, store: createSqlCounterStore(db, now) };
}

counterStoreContract("memory", async () => {
  const clock = manualClock();
  const store = createMemoryCounterStore(clock.now);
  return { store, ...clock, cleanup: async () => store.close?.() };
});

counterStoreContract("sqlite", async () => {
  const clock = manualClock();
  const { db, store } = await openSqlite(clock.now);
  return { store, ...clock, cleanup: () => db.destroy() };
});

describe("SQL counter store specifics (sqlite)", () => {
  it("increment is a single statement", async () => {
    const clock = manualClock();
    const queries: string[] = [];
    const { db, store } = await openSqlite(clock.now, (q) => queries.push(q));
    queries.length = 0;
    await store.increment("one", 1000);
    await store.increment("one", 1000);
    expect(queries).toHaveLength(2);
    expect(queries[0]).toMatch(/on conflict/i);
    await db.destroy();
  });

  it("hashes keys longer than 200 characters to fit varchar(255)", async () => {
    const clock = manualClock();
    const { db, store } = await openSqlite(clock.now);
    const short = "s".repeat(200);
    const long = "l".repeat(5000);
    expect(sqlCounterKey(short)).toBe(short);
    expect(sqlCounterKey(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
    await store.increment(short, 1000);
    await store.increment(long, 1000);
    const rows = await db.selectFrom("rate_limit_counter").select("key").execute();
    expect(rows.map((r) => r.key as string).sort()).toEqual([sqlCounterKey(long), short].sort());
    expect(Math.max(...rows.map((r) => (r.key as string).length))).toBeLessThanOrEqual(255);
    await db.destroy();
  });

});

// Redis is installed by .ci/run; a missing redis-server fails here rather than skipping.
describe("redis", () => {
  let server: RedisTestServer;
  let redis: Redis;
  let prefixSeq = 0;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.port, "127.0.0.1", { maxRetriesPerRequest: 1 });
    await redis.ping();
  }, 15_000);

  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });

  counterStoreContract("redis", async () => {
    const prefix = `test:${++prefixSeq}:`;
    return {
      store: createRedisCounterStore(redis, prefix),
      cleanup: async () => {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
      },
    };
  }, { controllableClock: false });

  it("prefixes keys (default aibook:rl:) and sets a TTL on new counters", async () => {
    const store = createRedisCounterStore(redis);
    await store.increment("ip:1.2.3.4", 10_000);
    expect(await redis.get("aibook:rl:ip:1.2.3.4")).toBe("1");
    const pttl = await redis.pttl("aibook:rl:ip:1.2.3.4");
    expect(pttl).toBeGreaterThan(9_000);
    expect(pttl).toBeLessThanOrEqual(10_000);
    await store.delete("ip:1.2.3.4");
    expect(await redis.exists("aibook:rl:ip:1.2.3.4")).toBe(0);
  });

  it("recovers when the script cache is flushed", async () => {
    const store = createRedisCounterStore(redis, "flush:");
    await store.increment("k", 10_000);
    await redis.script("FLUSH");
    expect((await store.increment("k", 10_000)).count).toBe(2);
    expect((await store.get("k"))?.count).toBe(2);
    await store.delete("k");
  });

  it("repairs a counter left without expiry", async () => {
    const store = createRedisCounterStore(redis, "noexp:");
    await redis.set("noexp:k", "4");
    const state = await store.increment("k", 5_000);
    expect(state.count).toBe(5);
    expect(await redis.pttl("noexp:k")).toBeGreaterThan(0);
    await store.delete("k");
  });
});
