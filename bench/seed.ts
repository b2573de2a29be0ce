/**
 * Seeding for `npm run bench -- --scale`: a database the size of a busy site, written straight
 * into the tables the server uses (after its migrations), in bulk.
 *
 * At full size (`--scale-users=100000`): 100,000 users, each with a credential account (and
 * some with a GitHub or Google one), 10,000 anonymous readers, 300,000 sessions, 1,000,000 chat
 * messages in ~38,000 chats (a few chats per active user, tens of messages per chat), 100,000
 * refresh tokens, 300,000 security events, and verification rows, used link tokens and
 * rate-limit counters. Other sizes scale every table alike.
 *
 * Every password is the same one (`SEED_PASSWORD`), hashed once: the app's own argon2id
 * parameters, so the server verifies it as any other (hashing 100,000 passwords would take
 * ~20 minutes and prove nothing more).
 *
 * Rows go in as a live site writes them: in time order (users by sign-up, messages of all chats
 * interleaved by when they were sent), with random ids, so tables and indexes have the layout of
 * real use rather than one chat's messages side by side. SQLite: multi-row INSERTs in large
 * transactions on one connection. PostgreSQL: one `INSERT ... SELECT * FROM unnest($1::text[],
 * ...)` per few thousand rows, over two connections, the next batch built while the database
 * writes, then VACUUM ANALYZE (what autovacuum does shortly after a bulk load anyway).
 *
 * The bench users (`benchUsers`) are ordinary seeded users with a fixed shape, the same in an
 * empty and in a seeded database: a credential account, four chats of 50 messages (opened by the
 * bench) and one of 10 (the one it asks questions in); no other sessions or chats. In a seeded
 * database they are spread evenly among the others.
 */
import { randomBytes, randomUUID } from "node:crypto";
import SQLite from "better-sqlite3";
import pg from "pg";
import { openDatabase } from "../src/server/db/index.ts";
import { migrateToLatest } from "../src/server/db/migrator.ts";
import { migrations } from "../src/server/db/migrations/index.ts";

export const SEED_PASSWORD = "Seeded-reader-password-7Qm";
export const FULL_USERS = 100_000;
/** Messages in each of a bench user's chats: the ones the bench opens, and the one it asks in. */
export const READ_CHATS = 4;
export const READ_CHAT_MESSAGES = 50;
export const ANSWER_CHAT_MESSAGES = 10;

export interface SeedSizes {
  /** Users with a credential account (the bench users included). */
  users: number;
  anonymous: number;
  sessions: number;
  messages: number;
  refreshTokens: number;
  securityEvents: number;
  verifications: number;
  usedTokens: number;
  counters: number;
}

/** Every table in proportion to `users` (100,000 = the full size). */
export function sizesFor(users: number): SeedSizes {
  const n = (full: number) => Math.round((full * users) / FULL_USERS);
  return {
    users,
    anonymous: n(10_000),
    sessions: n(300_000),
    messages: n(1_000_000),
    refreshTokens: n(100_000),
    securityEvents: n(300_000),
    verifications: n(5_000),
    usedTokens: n(20_000),
    counters: n(50_000),
  };
}

/** Only the bench users. */
export function emptySizes(benchUsers: number): SeedSizes {
  return { users: benchUsers, anonymous: 0, sessions: 0, messages: 0, refreshTokens: 0, securityEvents: 0, verifications: 0, usedTokens: 0, counters: 0 };
}

export type SeedTarget = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export interface BenchUser {
  email: string;
  userId: string;
  /** Chats of READ_CHAT_MESSAGES messages each. */
  readChats: string[];
  /** A chat of ANSWER_CHAT_MESSAGES messages, for the questions. */
  answerChat: string;
}

export interface SeedResult {
  benchUsers: BenchUser[];
  /** Rows written, per table. */
  rows: Record<string, number>;
  /** Seconds, per step (tables, then vacuum/analyze or journal switch). */
  seconds: Record<string, number>;
  totalSeconds: number;
}

/** The migrations, through the app's migrator (`except`: names left out, for a before/after comparison). */
export async function migrate(target: SeedTarget, except: string[] = []): Promise<string[]> {
  const db = openDatabase(target.kind === "sqlite" ? { kind: "sqlite", file: target.file } : { kind: "postgres", url: target.url });
  try {
    const set = Object.fromEntries(Object.entries(migrations).filter(([name]) => !except.includes(name)));
    return (await migrateToLatest(db, { migrations: set })).applied;
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------
// Tables

type ColumnType = "text" | "bool" | "date" | "int" | "bigint";
type Table = { name: string; columns: [string, ColumnType][] };
type Row = unknown[];

const T = {
  user: {
    name: "user",
    columns: [
      ["id", "text"], ["name", "text"], ["email", "text"], ["emailVerified", "bool"], ["image", "text"], ["createdAt", "date"],
      ["updatedAt", "date"], ["role", "text"], ["banned", "bool"], ["banReason", "text"], ["banExpires", "date"], ["isAnonymous", "bool"],
    ],
  },
  account: {
    name: "account",
    columns: [
      ["id", "text"], ["accountId", "text"], ["providerId", "text"], ["userId", "text"], ["accessToken", "text"], ["scope", "text"],
      ["password", "text"], ["createdAt", "date"], ["updatedAt", "date"],
    ],
  },
  preferences: {
    name: "user_preferences",
    columns: [["user_id", "text"], ["theme", "text"], ["language", "text"], ["notify_product", "int"], ["updated_at", "bigint"]],
  },
  session: {
    name: "session",
    columns: [
      ["id", "text"], ["expiresAt", "date"], ["token", "text"], ["createdAt", "date"], ["updatedAt", "date"], ["ipAddress", "text"],
      ["userAgent", "text"], ["userId", "text"],
    ],
  },
  chat: {
    name: "chat",
    columns: [["id", "text"], ["owner_id", "text"], ["title", "text"], ["created_at", "bigint"], ["updated_at", "bigint"]],
  },
  message: {
    name: "message",
    columns: [
      ["id", "text"], ["chat_id", "text"], ["role", "text"], ["content", "text"], ["citations", "text"], ["status", "text"],
      ["error_code", "text"], ["created_at", "bigint"],
    ],
  },
  refreshToken: {
    name: "refresh_token",
    columns: [
      ["id", "text"], ["family_id", "text"], ["user_id", "text"], ["token_hash", "text"], ["parent_id", "text"], ["rotated_at", "bigint"],
      ["revoked_at", "bigint"], ["revoked_reason", "text"], ["expires_at", "bigint"], ["created_at", "bigint"], ["ip", "text"], ["user_agent", "text"],
    ],
  },
  securityEvent: {
    name: "security_event",
    columns: [["id", "text"], ["user_id", "text"], ["type", "text"], ["ip", "text"], ["user_agent", "text"], ["detail", "text"], ["created_at", "bigint"]],
  },
  verification: {
    name: "verification",
    columns: [["id", "text"], ["identifier", "text"], ["value", "text"], ["expiresAt", "date"], ["createdAt", "date"], ["updatedAt", "date"]],
  },
  usedToken: { name: "used_token", columns: [["token_hash", "text"], ["purpose", "text"], ["expires_at", "bigint"]] },
  counter: { name: "rate_limit_counter", columns: [["key", "text"], ["count", "int"], ["reset_at", "bigint"]] },
} satisfies Record<string, Table>;

// ---------------------------------------------------------------------------
// Writers: one per database

interface Sink {
  /** Batches that may be in flight at once. */
  parallel: number;
  /** Write rows (a batch); resolves when the database has them. */
  insert(table: Table, rows: Row[]): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  /** After every table: make the database what the server expects to open. */
  finish(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const iso = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(ms as number).toISOString());

function sqliteSink(file: string): Sink {
  const db = new SQLite(file);
  // A throw-away load: no journal, no fsync, a page cache large enough for the indexes.
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -1000000");
  db.pragma("foreign_keys = OFF");
  const statements = new Map<string, SQLite.Statement>();
  const convert = (type: ColumnType, v: unknown) => (type === "date" ? iso(v) : type === "bool" ? (v === null ? null : v ? 1 : 0) : v);
  return {
    parallel: 1,
    async insert(table, rows) {
      // SQLite allows 32,766 parameters per statement.
      const per = Math.max(1, Math.min(500, Math.floor(32_000 / table.columns.length)));
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        const key = `${table.name}:${chunk.length}`;
        let stmt = statements.get(key);
        if (!stmt) {
          const tuple = `(${table.columns.map(() => "?").join(", ")})`;
          stmt = db.prepare(`insert into "${table.name}" (${table.columns.map(([c]) => `"${c}"`).join(", ")}) values ${Array(chunk.length).fill(tuple).join(", ")}`);
          statements.set(key, stmt);
        }
        const params: unknown[] = [];
        for (const row of chunk) for (let c = 0; c < table.columns.length; c++) params.push(convert(table.columns[c]![1], row[c]));
        stmt.run(params);
      }
    },
    async begin() {
      db.exec("begin");
    },
    async commit() {
      db.exec("commit");
    },
    async finish() {
      const started = performance.now();
      // The server runs in WAL mode; no ANALYZE: the app does not run it, so its planner has no statistics.
      db.pragma("journal_mode = WAL");
      return { "journal → WAL": (performance.now() - started) / 1000 };
    },
    async close() {
      db.close();
    },
  };
}

const PG_TYPES: Record<ColumnType, string> = { text: "text", bool: "boolean", date: "timestamptz", int: "int4", bigint: "int8" };

/**
 * Two connections, each with its own transaction per table: PostgreSQL's index maintenance is the
 * bottleneck of the load, and a second backend puts it on a second core while this process
 * builds the next batch.
 */
async function pgSink(url: string): Promise<Sink> {
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  for (const c of clients) {
    await c.connect();
    await c.query("set synchronous_commit = off");
  }
  const client = clients[0]!;
  let turn = 0;
  return {
    parallel: clients.length,
    async insert(table, rows) {
      const client = clients[turn++ % clients.length]!;
      const cols = table.columns.map(([name, type], c) => {
        const values = rows.map((r) => (type === "date" ? iso(r[c]) : r[c]));
        return { name, type, values };
      });
      const sql =
        `insert into "${table.name}" (${cols.map((c) => `"${c.name}"`).join(", ")}) ` +
        `select * from unnest(${cols.map((c, i) => `$${i + 1}::${PG_TYPES[c.type]}[]`).join(", ")})`;
      await client.query(sql, cols.map((c) => c.values));
    },
    async begin() {
      for (const c of clients) await c.query("begin");
    },
    async commit() {
      for (const c of clients) await c.query("commit");
    },
    async finish() {
      const started = performance.now();
      await client.query("vacuum analyze");
      return { "vacuum analyze": (performance.now() - started) / 1000 };
    },
    async close() {
      for (const c of clients) await c.end();
    },
  };
}

// ---------------------------------------------------------------------------
// Values

/** mulberry32: the same shapes on every run (ids and tokens are random all the same). */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
let pool = Buffer.alloc(0);
let poolAt = 0;
/** Better Auth's ids and session tokens: 32 characters of a-z A-Z 0-9. */
function authId(length = 32): string {
  if (poolAt + length > pool.length) {
    pool = randomBytes(1 << 20);
    poolAt = 0;
  }
  let s = "";
  for (let i = 0; i < length; i++) s += ALNUM[pool[poolAt++]! % 62];
  return s;
}
const tokenHash = () => randomBytes(32).toString("base64url");

const DAY = 86_400_000;
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
  "ai-book-cli/1.2 (+https://example.com)",
];
const QUESTIONS = [
  "How do humanoid robots keep their balance when walking?",
  "What is sim-to-real transfer and why is it hard?",
  "Which actuators do most humanoids use today?",
  "What does the book say about series elastic actuators?",
  "How is reinforcement learning used to teach robots to move?",
  "What sensors does a humanoid need to feel the ground?",
  "Why are hands so difficult to build?",
  "What is a zero moment point?",
  "How do robots learn from human demonstrations?",
  "What safety standards apply to robots working next to people?",
  "What is physical AI, in one paragraph?",
  "How much power does a humanoid use while walking?",
  "Can you summarise the chapter on ethics?",
  "What are the main failure modes of legged robots?",
  "How does domain randomisation help training in simulation?",
  "What is the difference between a cobot and a humanoid?",
];
const SENTENCES = [
  "Balance is a matter of keeping the centre of pressure inside the support polygon, step after step.",
  "Simulation is cheap and fast, but friction, backlash and sensor noise never match the real machine exactly.",
  "Most humanoids use electric motors with high-ratio gearboxes; a few use hydraulics for peak power.",
  "A spring between motor and joint lets the controller measure and limit the force it applies.",
  "The policy is trained over millions of simulated steps, with rewards for progress and penalties for falls.",
  "Force-torque sensors in the ankles and an inertial unit in the torso tell the controller where the weight is.",
  "A human hand has more than twenty degrees of freedom packed into a few hundred grams.",
  "The zero moment point is where the ground reaction forces produce no tipping moment.",
  "Teleoperation and motion capture turn human demonstrations into training data for imitation learning.",
  "Standards such as ISO 10218 and ISO/TS 15066 set limits on speed and contact force near people.",
  "Physical AI is intelligence that perceives, decides and acts in the physical world, not only on a screen.",
  "Walking costs a humanoid several hundred watts, far more than a person needs for the same pace.",
  "The ethics chapter asks who is responsible when a learning machine does something nobody programmed.",
  "Falls, overheating motors and worn gears are the most common reasons a legged robot stops working.",
  "Randomising masses, friction and delays in simulation makes a policy robust to the real world's differences.",
];
const CHAPTERS = [
  ["01-what-is-physical-ai", "What is physical AI?"],
  ["02-anatomy-of-a-humanoid", "Anatomy of a humanoid"],
  ["03-learning-to-move", "Learning to move"],
  ["04-safety-ethics-and-the-road-ahead", "Safety, ethics and the road ahead"],
] as const;

/** A few hundred answers and their citations, built once: realistic sizes without the cost of composing each. */
function answerPool(rand: ReturnType<typeof prng>) {
  return Array.from({ length: 256 }, () => {
    const n = rand.int(2, 4);
    const cites = Array.from({ length: n }, () => {
      const [slug, title] = rand.pick(CHAPTERS);
      const section = rand.pick(["balance", "actuators", "sensors", "simulation", "learning", "hands", "standards", "power"]);
      return { chapterSlug: slug, chapterTitle: title, sectionId: section, sectionTitle: section[0]!.toUpperCase() + section.slice(1), url: `/book/${slug}#${section}` };
    });
    const lines = cites.map((_, i) => `- ${rand.pick(SENTENCES)} ${rand.pick(SENTENCES)} [${i + 1}]`);
    return { content: `Here is what the book says:\n\n${lines.join("\n")}`, citations: JSON.stringify(cites) };
  });
}

// ---------------------------------------------------------------------------
// Chats' messages, in time order

interface ChatPlan {
  id: string;
  owner: string;
  created: number;
  count: number;
  /** Milliseconds between exchanges: fixed (the bench users' chats), or drawn from `gapSeed`. */
  fixedGap: number | null;
  gapSeed: number;
  firstQuestion: string;
  last: number;
}

/** When each message of a chat was sent: a question, its answer a millisecond later (as the chat store stamps it), a pause. */
function* messageTimes(p: ChatPlan): Generator<number> {
  const gaps = prng(p.gapSeed);
  let t = Math.floor(p.created);
  for (let m = 0; m < p.count; m += 2) {
    yield t;
    if (m + 1 < p.count) yield t + 1;
    t += p.fixedGap ?? gaps.int(30_000, 7_200_000);
  }
}

/** Every chat's messages, merged by time (a binary heap of the chats' next messages). */
function* messagesInTimeOrder(plans: ChatPlan[], rand: ReturnType<typeof prng>, answers: { content: string; citations: string }[]): Generator<Row> {
  type Cursor = { p: ChatPlan; times: Generator<number>; t: number; m: number };
  const heap: Cursor[] = [];
  const less = (a: Cursor, b: Cursor) => a.t < b.t;
  const push = (c: Cursor) => {
    heap.push(c);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): Cursor => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const p of plans) {
    const times = messageTimes(p);
    const first = times.next();
    if (!first.done) push({ p, times, t: first.value, m: 0 });
  }
  while (heap.length) {
    const c = pop();
    if (c.m % 2 === 0) {
      yield [randomUUID(), c.p.id, "user", c.m === 0 ? c.p.firstQuestion : rand.pick(QUESTIONS), null, "complete", null, c.t];
    } else {
      const a = rand.pick(answers);
      const failed = rand.chance(0.005);
      yield [randomUUID(), c.p.id, "assistant", failed ? a.content.slice(0, 80) : a.content, a.citations, failed ? "error" : "complete", failed ? "PROVIDER_TIMEOUT" : null, c.t];
    }
    const next = c.times.next();
    if (!next.done) push({ ...c, t: next.value, m: c.m + 1 });
  }
}

// ---------------------------------------------------------------------------
// Seeding

/** The bench users' emails: the same in every database. */
export const benchEmail = (k: number) => `bench-reader-${k}@example.com`;
export const seededEmail = (i: number) => `reader-${i}@example.com`;

export async function seed(
  target: SeedTarget,
  sizes: SeedSizes,
  opts: { benchUsers: number; passwordHash: string; now?: number; log?: (line: string) => void },
): Promise<SeedResult> {
  const now = opts.now ?? Date.now();
  const log = opts.log ?? (() => {});
  const K = opts.benchUsers;
  if (sizes.users < K) throw new Error(`seed: ${sizes.users} users cannot hold ${K} bench users`);
  const rand = prng(20_261_124);
  const sink = target.kind === "sqlite" ? sqliteSink(target.file) : await pgSink(target.url);
  const rows: Record<string, number> = {};
  const seconds: Record<string, number> = {};
  const started = performance.now();

  /** Write a table's rows in time order (`timeColumn`), in batches, the next built while the last is written. */
  /**
   * Write a table's rows in batches, the next built while the last is written: an array is put in
   * time order first (`timeColumn`); a generator yields its rows in time order itself.
   */
  async function write(table: Table, source: Row[] | Iterable<Row>, timeColumn: number | null) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // Times are drawn as fractions of days: whole milliseconds, as the app writes them.
    const whole = table.columns.flatMap(([, type], c) => (type === "text" || type === "bool" ? [] : [c]));
    const round = (row: Row) => {
      for (const c of whole) if (typeof row[c] === "number") row[c] = Math.floor(row[c] as number);
      return row;
    };
    if (Array.isArray(source) && timeColumn !== null) {
      source.forEach(round);
      source.sort((a, b) => (a[timeColumn] as number) - (b[timeColumn] as number));
    }
    const size = target.kind === "sqlite" ? 50_000 : Math.max(500, Math.floor(60_000 / table.columns.length));
    await sink.begin();
    const pending: Promise<void>[] = [];
    let count = 0;
    let chunk: Row[] = [];
    const flush = async () => {
      if (pending.length >= sink.parallel) await pending.shift();
      pending.push(sink.insert(table, chunk));
      count += chunk.length;
      chunk = [];
    };
    for (const row of source) {
      chunk.push(round(row));
      if (chunk.length === size) await flush();
    }
    if (chunk.length) await flush();
    await Promise.all(pending);
    await sink.commit();
    rows[table.name] = (rows[table.name] ?? 0) + count;
    seconds[table.name] = (seconds[table.name] ?? 0) + (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    log(`${table.name}: ${count.toLocaleString("en-US")} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU here)`);
  }

  try {
    // Users: the bench users spread evenly among the others.
    const U = sizes.users;
    const benchAt = new Map<number, number>(); // user index -> bench user number
    for (let k = 0; k < K; k++) benchAt.set(Math.floor(((k + 0.5) * U) / K), k);
    const userIds: string[] = new Array(U);
    const userCreated: number[] = new Array(U);
    const users: Row[] = [];
    for (let i = 0; i < U; i++) {
      const k = benchAt.get(i);
      const id = authId();
      const created = k !== undefined ? now - 200 * DAY - k * 60_000 : now - rand.next() * 400 * DAY;
      const banned = k === undefined && i % 997 === 0;
      userIds[i] = id;
      userCreated[i] = created;
      users.push([
        id,
        `Reader ${i}`,
        k !== undefined ? benchEmail(k) : seededEmail(i),
        k !== undefined || rand.chance(0.93),
        null,
        created,
        created + (k !== undefined ? 0 : rand.next() * (now - created)),
        "user",
        banned,
        banned ? "spam" : null,
        null,
        false,
      ]);
    }
    const isBench = (i: number) => benchAt.has(i);
    /** Users who chat: about one in eight (never the bench users, whose chats are fixed). */
    const active: number[] = [];
    for (let i = 0; i < U; i++) if (i % 8 === 3 && !isBench(i) && i % 997 !== 0) active.push(i);

    const anonIds: string[] = [];
    for (let j = 0; j < sizes.anonymous; j++) {
      const id = authId();
      const created = now - rand.next() * 90 * DAY;
      anonIds.push(id);
      users.push([id, "Anonymous", `temp-${authId()}@anonymous.invalid`, false, null, created, created + rand.next() * 2 * DAY, "user", false, null, null, true]);
    }
    await write(T.user, users, 5);
    users.length = 0;

    // Accounts: one credential account per user; some also signed in with GitHub or Google.
    const accounts: Row[] = [];
    const preferences: Row[] = [];
    for (let i = 0; i < U; i++) {
      const id = userIds[i]!;
      const created = userCreated[i]!;
      accounts.push([authId(), id, "credential", id, null, null, opts.passwordHash, created, created]);
      if (isBench(i)) continue;
      if (rand.chance(0.08)) accounts.push([authId(), String(10_000_000 + i), "github", id, `gho_${authId(36)}`, "read:user,user:email", null, created, created]);
      else if (rand.chance(0.04)) accounts.push([authId(), String(100_000_000_000_000_000_000n + BigInt(i)), "google", id, `ya29.${authId(60)}`, "openid,email,profile", null, created, created]);
      if (rand.chance(0.2)) preferences.push([id, rand.pick(["light", "dark", "system"]), "en", rand.chance(0.3) ? 1 : 0, created + DAY]);
    }
    await write(T.account, accounts, 7);
    accounts.length = 0;
    await write(T.preferences, preferences, 4);

    // Sessions: mostly of active users; most have expired (nothing purges them).
    const anyAccount = () => {
      for (;;) {
        const i = rand.int(0, U - 1);
        if (!isBench(i)) return userIds[i]!;
      }
    };
    const sessionOwner = () => {
      const r = rand.next();
      if (r < 0.55 && active.length) return userIds[rand.pick(active)]!;
      if (r < 0.9 || !anonIds.length) return anyAccount();
      return rand.pick(anonIds);
    };
    const sessions: Row[] = [];
    for (let n = 0; n < sizes.sessions; n++) {
      const created = now - rand.next() * 45 * DAY;
      const updated = created + rand.next() * Math.min(20 * DAY, now - created);
      const ip = rand.chance(0.8) ? `10.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}` : `2001:db8:${rand.int(0, 65535).toString(16)}::${rand.int(1, 65535).toString(16)}`;
      sessions.push([authId(), Math.min(updated + 7 * DAY, created + 30 * DAY), authId(), created, updated, ip, rand.pick(USER_AGENTS), sessionOwner()]);
    }
    await write(T.session, sessions, 3);
    sessions.length = 0;

    // Chats and messages: a few chats per active user, 4 to 60 messages each; the bench users' fixed chats.
    // A chat is planned first (its times come from a generator of its own, so its last message is
    // known before its messages are written); its messages are made while they are written, all
    // chats' merged in time order: a million rows never sit in memory at once.
    const answers = answerPool(rand);
    const plans: ChatPlan[] = [];
    const plan = (owner: string, created: number, count: number, fixedGap: number | null) => {
      const p: ChatPlan = { id: randomUUID(), owner, created, count, fixedGap, gapSeed: rand.int(0, 2 ** 31), firstQuestion: rand.pick(QUESTIONS), last: created };
      for (const t of messageTimes(p)) p.last = t;
      plans.push(p);
      return p.id;
    };
    const benchUsers: BenchUser[] = [];
    for (const [i, k] of [...benchAt.entries()].sort((a, b) => a[1] - b[1])) {
      const readChats = Array.from({ length: READ_CHATS }, (_, c) => plan(userIds[i]!, now - (10 + c) * DAY - k * 1000, READ_CHAT_MESSAGES, 600_000));
      const answerChat = plan(userIds[i]!, now - DAY - k * 1000, ANSWER_CHAT_MESSAGES, 600_000);
      benchUsers.push({ email: benchEmail(k), userId: userIds[i]!, readChats, answerChat });
    }
    let left = sizes.messages - plans.reduce((n, p) => n + p.count, 0); // the bench users' messages count in the total
    while (left > 0) {
      const anonymous = anonIds.length > 0 && rand.chance(0.1);
      const owner = anonymous ? rand.pick(anonIds) : active.length ? userIds[rand.pick(active)]! : anyAccount();
      const count = Math.min(left, anonymous ? 2 * rand.int(1, 5) : 2 * (2 + Math.floor(rand.next() ** 1.5 * 29)));
      plan(owner, now - rand.next() * (anonymous ? 60 : 180) * DAY, count, null);
      left -= count;
    }
    await write(
      T.chat,
      plans.map((p) => [p.id, p.owner, p.firstQuestion.slice(0, 60), p.created, p.last]),
      3,
    );
    await write(T.message, messagesInTimeOrder(plans, rand, answers), null);
    plans.length = 0;

    // Refresh tokens: families of 1-4 rotations, 30 days from their start; some revoked.
    const refresh: Row[] = [];
    while (refresh.length < sizes.refreshTokens) {
      const familyId = randomUUID();
      const userId = rand.chance(0.5) && active.length ? userIds[rand.pick(active)]! : anyAccount();
      const start = now - rand.next() * 60 * DAY;
      const expires = start + 30 * DAY;
      const revoked = rand.chance(0.1);
      const ip = `10.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}`;
      const ua = rand.pick(USER_AGENTS);
      let parent: string | null = null;
      let t = start;
      const length = Math.min(rand.int(1, 4), sizes.refreshTokens - refresh.length);
      for (let n = 0; n < length; n++) {
        const id = randomUUID();
        const last = n === length - 1;
        const next = t + rand.int(900_000, 3 * DAY);
        refresh.push([id, familyId, userId, tokenHash(), parent, last ? null : next, revoked && last ? next : null, revoked && last ? "revoked_by_client" : null, expires, t, ip, ua]);
        parent = id;
        t = next;
      }
    }
    await write(T.refreshToken, refresh, 9);
    refresh.length = 0;

    // Security events: mostly sign-ins, over 90 days.
    const events: Row[] = [];
    const types = ["sign_in", "sign_in", "sign_in", "sign_in", "sign_in", "sign_in_failed", "sign_in_failed", "token_issued", "sign_out", "sign_up", "password_changed", "session_revoked"];
    for (let n = 0; n < sizes.securityEvents; n++) {
      const type = rand.pick(types);
      const userId = type === "sign_in_failed" && rand.chance(0.3) ? null : rand.chance(0.5) && active.length ? userIds[rand.pick(active)]! : anyAccount();
      events.push([
        randomUUID(),
        userId,
        type,
        `10.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}`,
        rand.pick(USER_AGENTS),
        type === "sign_in" ? '{"method":"email"}' : null,
        now - rand.next() * 90 * DAY,
      ]);
    }
    await write(T.securityEvent, events, 6);
    events.length = 0;

    // Verification rows (reset and deletion links), used link tokens, rate-limit counters.
    const verifications: Row[] = [];
    for (let n = 0; n < sizes.verifications; n++) {
      const created = now - rand.next() * 2 * DAY;
      const identifier = rand.chance(0.7) ? `reset-password:${authId(24)}` : `delete-account-${tokenHash()}`;
      verifications.push([authId(), identifier, rand.chance(0.5) ? anyAccount() : authId(24), created + 3_600_000, created, created]);
    }
    await write(T.verification, verifications, 4);
    const used: Row[] = [];
    for (let n = 0; n < sizes.usedTokens; n++) {
      used.push([tokenHash(), rand.pick(["verify-email", "reset-password", "delete-account", "change-email"]), now - rand.next() * 60 * DAY + DAY]);
    }
    await write(T.usedToken, used, 2);
    const counters: Row[] = [];
    const keys = new Set<string>();
    while (counters.length < sizes.counters) {
      const kind = rand.int(0, 3);
      const key =
        kind === 0
          ? `signin:ip:10.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}`
          : kind === 1
            ? `chat:day:${active.length ? userIds[rand.pick(active)]! : anyAccount()}`
            : kind === 2
              ? `api:ip:10.${rand.int(0, 255)}.${rand.int(0, 255)}.${rand.int(1, 254)}`
              : `mail:verify:${tokenHash()}`;
      if (keys.has(key)) continue;
      keys.add(key);
      counters.push([key, rand.int(1, 50), now - rand.next() * 2 * DAY + (kind === 1 ? DAY : 60_000)]);
    }
    await write(T.counter, counters, 2);

    Object.assign(seconds, await sink.finish());
    return { benchUsers, rows, seconds, totalSeconds: (performance.now() - started) / 1000 };
  } finally {
    await sink.close();
  }
}
