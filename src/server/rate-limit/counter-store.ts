/**
 * Fixed-window counters shared by the rate limiter and the account throttle.
 *
 * Three implementations behind one interface: SQL (SQLite >= 3.35 or
 * PostgreSQL, table `rate_limit_counter`), Redis, and in-memory (unit tests).
 * A counter is expired when `resetAt <= now`.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { sql, type Kysely } from "kysely";

export interface CounterState {
  count: number;
  /** Epoch milliseconds at which the counter expires. */
  resetAt: number;
}

export interface CounterStore {
  /**
   * Atomically add `by` (default 1) to `key`; if absent or expired, start at `by` with expiry
   * now+windowMs. (`by` > 1: a batch of requests counted in-process, see batched-limiter.ts.)
   */
  increment(key: string, windowMs: number, by?: number): Promise<CounterState>;
  /** `increment` of several keys at once (SQL: one statement), results in the order given. */
  incrementMany(entries: { key: string; windowMs: number; by?: number }[]): Promise<CounterState[]>;
  /** `null` when absent or expired. */
  get(key: string): Promise<CounterState | null>;
  /** `get` for several keys in one round trip, in the order asked. */
  getMany(...keys: string[]): Promise<(CounterState | null)[]>;
  /** Overwrite `key` with `count`, expiring `ttlMs` from now. */
  set(key: string, count: number, ttlMs: number): Promise<void>;
  /** Remove these keys (one statement or command, however many). */
  delete(...keys: string[]): Promise<void>;
  close?(): Promise<void>;
}

function positiveMs(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number of milliseconds`);
  return Math.max(1, Math.ceil(value));
}

function positiveCount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError("by must be a positive integer");
  return value;
}

function nonNegativeCount(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError("count must be a non-negative integer");
  return value;
}

// ---------------------------------------------------------------------------
// Memory

/**
 * In-process store (not shared between processes, unbounded between sweeps): unit tests, and the
 * per-process fallback while Redis is unreachable (redis-outage.ts).
 */
export function createMemoryCounterStore(now: () => number = () => Date.now()): CounterStore {
  const entries = new Map<string, CounterState>();
  let writes = 0;

  const sweep = (t: number) => {
    if (++writes % 1000 !== 0) return;
    for (const [key, entry] of entries) if (entry.resetAt <= t) entries.delete(key);
  };

  const store: CounterStore = {
    async increment(key, windowMs, by = 1) {
      const window = positiveMs(windowMs, "windowMs");
      const n = positiveCount(by);
      const t = now();
      sweep(t);
      const entry = entries.get(key);
      const next = entry && entry.resetAt > t ? { count: entry.count + n, resetAt: entry.resetAt } : { count: n, resetAt: t + window };
      entries.set(key, next);
      return { ...next };
    },
    async incrementMany(list) {
      return Promise.all(list.map((e) => store.increment(e.key, e.windowMs, e.by)));
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return null;
      if (entry.resetAt <= now()) {
        entries.delete(key);
        return null;
      }
      return { ...entry };
    },
    async getMany(...keys) {
      return Promise.all(keys.map((key) => store.get(key)));
    },
    async set(key, count, ttlMs) {
      const t = now();
      sweep(t);
      entries.set(key, { count: nonNegativeCount(count), resetAt: t + positiveMs(ttlMs, "ttlMs") });
    },
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async close() {
      entries.clear();
    },
  };
  return store;
}

// ---------------------------------------------------------------------------
// SQL (SQLite >= 3.35 / PostgreSQL)

const MAX_RAW_KEY_LENGTH = 200;

/** Keys longer than 200 characters are stored as `sha256:<hex>` (71 characters) to fit varchar(255). */
export function sqlCounterKey(key: string): string {
  return key.length > MAX_RAW_KEY_LENGTH ? `sha256:${createHash("sha256").update(key).digest("hex")}` : key;
}

interface CounterRow {
  count: number | string;
  reset_at: number | string | bigint;
}

function toState(row: CounterRow): CounterState {
  return { count: Number(row.count), resetAt: Number(row.reset_at) };
}

/**
 * Store backed by the `rate_limit_counter` table:
 * `create table rate_limit_counter (key varchar(255) primary key, count integer not null, reset_at bigint not null)`.
 */
export function createSqlCounterStore(db: Kysely<any>, now: () => number = () => Date.now()): CounterStore {
  const clock = () => Math.floor(now());

  // Expired rows are deleted by the retention job (maintenance/retention.ts).
  const store: CounterStore = {
    async increment(key, windowMs, by = 1) {
      const [state] = await store.incrementMany([{ key, windowMs, by }]);
      return state!;
    },
    async incrementMany(list) {
      if (list.length === 0) return [];
      const t = clock();
      const stored = list.map((e) => sqlCounterKey(e.key));
      // PostgreSQL refuses one statement that updates a row twice: repeated keys go one by one.
      if (new Set(stored).size !== stored.length) {
        const out: CounterState[] = [];
        for (const e of list) out.push(await store.increment(e.key, e.windowMs, e.by));
        return out;
      }
      const values = list.map((e, i) => sql`(${stored[i]}, ${positiveCount(e.by ?? 1)}, ${t + positiveMs(e.windowMs, "windowMs")})`);
      // One atomic upsert for every row (one write, one commit): a row whose window has expired
      // restarts at its count, else the count is added.
      const { rows } = await sql<CounterRow & { key: string }>`
        insert into rate_limit_counter ("key", "count", reset_at) values ${sql.join(values)}
        on conflict ("key") do update set
          "count" = case when rate_limit_counter.reset_at <= ${t} then excluded."count" else rate_limit_counter."count" + excluded."count" end,
          reset_at = case when rate_limit_counter.reset_at <= ${t} then excluded.reset_at else rate_limit_counter.reset_at end
        returning "key", "count", reset_at`.execute(db);
      const byKey = new Map(rows.map((row) => [row.key, toState(row)]));
      return stored.map((k) => {
        const state = byKey.get(k);
        if (!state) throw new Error("rate_limit_counter upsert returned no row");
        return state;
      });
    },
    async get(key) {
      const [state] = await store.getMany(key);
      return state ?? null;
    },
    async getMany(...keys) {
      if (keys.length === 0) return [];
      const stored = keys.map(sqlCounterKey);
      const { rows } = await sql<CounterRow & { key: string }>`
        select "key", "count", reset_at from rate_limit_counter where "key" in (${sql.join(stored)}) and reset_at > ${clock()}`.execute(db);
      const byKey = new Map(rows.map((row) => [row.key, toState(row)]));
      return stored.map((k) => byKey.get(k) ?? null);
    },
    async set(key, count, ttlMs) {
      const resetAt = clock() + positiveMs(ttlMs, "ttlMs");
      await sql`
        insert into rate_limit_counter ("key", "count", reset_at) values (${sqlCounterKey(key)}, ${nonNegativeCount(count)}, ${resetAt})
        on conflict ("key") do update set "count" = excluded."count", reset_at = excluded.reset_at`.execute(db);
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      await sql`delete from rate_limit_counter where "key" in (${sql.join(keys.map(sqlCounterKey))})`.execute(db);
    },
  };
  return store;
}

// ---------------------------------------------------------------------------
// Redis

/** INCRBY + PEXPIRE-if-new + PTTL in one atomic step. ARGV: windowMs, by. Returns { count, pttl }. */
const INCREMENT_SCRIPT = `
local by = tonumber(ARGV[2] or '1')
local count = redis.call('INCRBY', KEYS[1], by)
local ttl = redis.call('PTTL', KEYS[1])
if count == by or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`;

/** GET + PTTL atomically, for every key given. Returns one entry per key: false (absent) or { value, pttl }. */
const GET_MANY_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local value = redis.call('GET', key)
  if value then out[i] = { tonumber(value), redis.call('PTTL', key) } else out[i] = false end
end
return out
`;

interface Script {
  source: string;
  sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

const increment = script(INCREMENT_SCRIPT);
const getManyWithTtl = script(GET_MANY_SCRIPT);

async function runScript(redis: Redis, s: Script, key: string | string[], ...args: (string | number)[]): Promise<unknown> {
  const keys = typeof key === "string" ? [key] : key;
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return redis.eval(s.source, keys.length, ...keys, ...args);
    throw error;
  }
}

function toRedisState(reply: [number, number] | null, now: () => number): CounterState | null {
  if (!reply) return null;
  const count = Number(reply[0]);
  const pttl = Number(reply[1]);
  // -2: vanished between calls (cannot happen inside a script); -1: no expiry (foreign key).
  if (!Number.isFinite(count) || pttl === -2 || pttl === 0) return null;
  return { count, resetAt: pttl < 0 ? Number.MAX_SAFE_INTEGER : now() + pttl };
}

/**
 * Store backed by Redis. Keys are prefixed (default `aibook:rl:`). The client
 * belongs to the caller: this store does not close it.
 */
export function createRedisCounterStore(redis: Redis, prefix = "aibook:rl:", now: () => number = () => Date.now()): CounterStore {
  const k = (key: string) => prefix + key;

  const store: CounterStore = {
    async increment(key, windowMs, by = 1) {
      const window = positiveMs(windowMs, "windowMs");
      const reply = (await runScript(redis, increment, k(key), window, positiveCount(by))) as [number, number];
      return { count: Number(reply[0]), resetAt: now() + Math.max(0, Number(reply[1])) };
    },
    async incrementMany(list) {
      return Promise.all(list.map((e) => store.increment(e.key, e.windowMs, e.by)));
    },
    async get(key) {
      const [state] = await store.getMany(key);
      return state ?? null;
    },
    async getMany(...keys) {
      if (keys.length === 0) return [];
      const replies = (await runScript(redis, getManyWithTtl, keys.map(k))) as ([number, number] | false)[];
      return replies.map((reply) => toRedisState(reply || null, now));
    },
    async set(key, count, ttlMs) {
      await redis.set(k(key), nonNegativeCount(count), "PX", positiveMs(ttlMs, "ttlMs"));
    },
    async delete(...keys) {
      if (keys.length === 0) return;
      await redis.del(...keys.map(k));
    },
  };
  return store;
}
