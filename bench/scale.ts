/**
 * `npm run bench -- --scale`: does the server stay as fast on a database the size of a busy site?
 *
 * For SQLite and for PostgreSQL: seeds one database with 100,000 users, 300,000 sessions and
 * 1,000,000 chat messages (bench/seed.ts) and one with only the bench's 50 users, prints the
 * query plans of the routes' queries on the seeded one (bench/plans.ts), starts the real server
 * on each (production mode, one core, pinned with PostgreSQL when it is the database), and
 * measures the same requests on both, interleaved: sign-in, GET /api/v1/me by cookie and by
 * bearer JWT, the chat list, opening a chat (50 messages) and an answer of the embedded provider
 * (streamed as server-sent events). The figure that matters is seeded / empty, taken in the same
 * run: target within 1.2x (bench/README.md, "Scale").
 *
 * Options (after `npm run bench -- --scale`):
 *   --scale-users=N     users of the seeded database (default 100000; every table scales with it)
 *   --bench-users=N     users the requests rotate over, in both databases (default 50)
 *   --db=sqlite,postgres  databases to measure (default both)
 *   --routes=a,b        only these of signIn,cookie,jwt,chatList,chatOpen,answer
 *   --duration=S        seconds per measurement (default 5), --rounds=N (default 5)
 *   --connections=N     autocannon connections (default 32)
 *   --quick             --duration=2 --rounds=2
 *   --plans-only        seed, print the plans, stop (no server)
 *   --without-scale-indexes  migrate without 0007_scale_indexes (implies --plans-only): the
 *                       plans as they were before it
 *   --keep              keep the temp dir (databases, logs)
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { hashPassword } from "../src/server/auth/password-hash.ts";
import { startPgServer, type PgServer } from "../test/support/pg-server.ts";
import { explainAll, formatPlans, type Plan } from "./plans.ts";
import {
  ANSWER_CHAT_MESSAGES,
  READ_CHAT_MESSAGES,
  SEED_PASSWORD,
  emptySizes,
  migrate,
  seed,
  sizesFor,
  type BenchUser,
  type SeedResult,
  type SeedSizes,
  type SeedTarget,
} from "./seed.ts";
import {
  affinity,
  childPids,
  cpuSeconds,
  fmt,
  freePort,
  ipFor,
  median,
  pin,
  serverEnv,
  setupCall,
  startServerProcess,
  stopServerProcess,
  table,
  treeCpuSeconds,
  waitIdle,
  type ServerProcess,
} from "./support.ts";

type Route = "signIn" | "cookie" | "jwt" | "chatList" | "chatOpen" | "answer";
const ALL_ROUTES: Route[] = ["signIn", "cookie", "jwt", "chatList", "chatOpen", "answer"];
const ROUTE_LABEL: Record<Route, string> = {
  signIn: "POST /api/auth/sign-in/email",
  cookie: "GET /api/v1/me (cookie)",
  jwt: "GET /api/v1/me (bearer JWT)",
  chatList: "GET /api/v1/chats",
  chatOpen: `GET /api/v1/chats/:id (${READ_CHAT_MESSAGES} messages)`,
  answer: "POST /api/v1/chats/:id/messages (embedded, SSE)",
};
const QUESTION = "How do humanoid robots keep their balance when walking?";
/** seeded / empty: latencies at most this, req/s at least its inverse. */
const TARGET = 1.2;
type DbKind = SeedTarget["kind"];

interface Options {
  users: number;
  benchUsers: number;
  dbs: DbKind[];
  routes: Route[];
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  plansOnly: boolean;
  withoutScaleIndexes: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const flag = (name: string) => argv.includes(`--${name}`);
  const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const quick = flag("quick");
  const list = <T extends string>(name: string, all: readonly T[], fallback: readonly T[]): T[] => {
    const v = option(name);
    if (!v) return [...fallback];
    const picked = v.split(",").map((x) => x.trim());
    const bad = picked.filter((x) => !all.includes(x as T));
    if (bad.length) throw new Error(`--${name}: unknown ${bad.join(", ")} (pick from ${all.join(",")})`);
    return picked as T[];
  };
  const withoutScaleIndexes = flag("without-scale-indexes");
  const o: Options = {
    users: Number(option("scale-users") ?? 100_000),
    benchUsers: Number(option("bench-users") ?? 50),
    dbs: list("db", ["sqlite", "postgres"] as const, ["sqlite", "postgres"]),
    routes: list("routes", ALL_ROUTES, ALL_ROUTES),
    duration: Number(option("duration") ?? (quick ? 2 : 5)),
    rounds: Number(option("rounds") ?? (quick ? 2 : 5)),
    warmup: quick ? 1 : 2,
    connections: Number(option("connections") ?? 32),
    plansOnly: flag("plans-only") || withoutScaleIndexes,
    withoutScaleIndexes,
    keep: flag("keep"),
  };
  for (const [name, v] of Object.entries({ users: o.users, benchUsers: o.benchUsers, duration: o.duration, rounds: o.rounds, connections: o.connections })) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`bad ${name}: ${v}`);
  }
  if (o.users < 1000 || o.users < o.benchUsers) throw new Error("--scale-users must be at least 1000 and at least --bench-users");
  return o;
}

// ---------------------------------------------------------------------------
// Processes to stop whatever happens

const servers: ServerProcess[] = [];
const pgServers: PgServer[] = [];
function stopAllSync() {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
  // PostgreSQL has a watchdog of its own (test/support/pg-server.ts) that stops it once we are gone.
}

/** The postmaster of the PostgreSQL listening on `port`. */
function postmasterPid(port: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (path.basename(argv[0] ?? "") === "postgres" && argv[argv.indexOf("-p") + 1] === String(port)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no postmaster found for port ${port}`);
}

// ---------------------------------------------------------------------------
// One database, one server

interface Side {
  label: "empty" | "seeded";
  target: SeedTarget;
  sizes: SeedSizes;
  seed?: SeedResult;
  server?: ServerProcess;
  fixture?: Fixture;
}

interface Fixture {
  origin: string;
  users: (BenchUser & { cookie: string; jwt: string })[];
}

/** A cookie and an access token for every bench user, through the real routes; then each measured request once. */
async function setUp(side: Side): Promise<Fixture> {
  const base = side.server!.base;
  const users: Fixture["users"] = [];
  for (const u of side.seed!.benchUsers) {
    const signIn = await setupCall(base, "POST", "/api/auth/sign-in/email", { email: u.email, password: SEED_PASSWORD });
    if (signIn.status !== 200) throw new Error(`${side.label}: sign-in of ${u.email}: ${signIn.status} ${signIn.text}`);
    const cookie = signIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0]!)
      .filter((c) => !c.endsWith("="))
      .join("; ");
    const token = await setupCall(base, "POST", "/api/v1/auth/token", { grant_type: "password", email: u.email, password: SEED_PASSWORD });
    const jwt = token.json.access_token;
    if (token.status !== 200 || typeof jwt !== "string") throw new Error(`${side.label}: token grant: ${token.status} ${token.text}`);
    users.push({ ...u, cookie, jwt });
  }
  const fx: Fixture = { origin: base, users };
  for (const route of ALL_ROUTES) {
    const [r] = requestsFor(route, fx, 0);
    const res = await fetch(base + r!.path, { method: r!.method, headers: r!.headers as Record<string, string>, body: r!.body as string | undefined });
    const text = await res.text();
    const ok =
      res.status === 200 &&
      (route === "answer"
        ? text.includes("event: done")
        : route === "chatOpen"
          ? (JSON.parse(text) as { messages: unknown[] }).messages.length === READ_CHAT_MESSAGES
          : route === "chatList"
            ? (JSON.parse(text) as { chats: unknown[] }).chats.length === 5
            : true);
    if (!ok) throw new Error(`${side.label}: ${ROUTE_LABEL[route]} as the run sends it: ${res.status} ${text.slice(0, 500)}`);
  }
  return fx;
}

/** Requests a connection cycles through: its own client addresses, the bench users in turn. */
const PER_CLIENT = 64;

function requestsFor(route: Route, fx: Fixture, client: number): autocannon.Request[] {
  return Array.from({ length: PER_CLIENT }, (_, j) => {
    const xff = ipFor(client * PER_CLIENT + j);
    const n = client * 7 + j;
    const u = fx.users[n % fx.users.length]!;
    switch (route) {
      case "signIn":
        return {
          method: "POST",
          path: "/api/auth/sign-in/email",
          headers: { "x-forwarded-for": xff, "content-type": "application/json", origin: fx.origin },
          body: JSON.stringify({ email: u.email, password: SEED_PASSWORD }),
        };
      case "cookie":
        return { method: "GET", path: "/api/v1/me", headers: { "x-forwarded-for": xff, cookie: u.cookie } };
      case "jwt":
        return { method: "GET", path: "/api/v1/me", headers: { "x-forwarded-for": xff, authorization: `Bearer ${u.jwt}` } };
      case "chatList":
        return { method: "GET", path: "/api/v1/chats", headers: { "x-forwarded-for": xff, cookie: u.cookie } };
      case "chatOpen":
        return { method: "GET", path: `/api/v1/chats/${u.readChats[Math.floor(n / fx.users.length) % u.readChats.length]}`, headers: { "x-forwarded-for": xff, cookie: u.cookie } };
      case "answer":
        return {
          method: "POST",
          path: `/api/v1/chats/${u.answerChat}/messages`,
          headers: { "x-forwarded-for": xff, cookie: u.cookie, origin: fx.origin, "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ content: QUESTION }),
        };
    }
  });
}

// ---------------------------------------------------------------------------
// Measurements

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  bad: number;
  /** Server (Node) CPU per response, µs. */
  cpuUs: number;
  /** PostgreSQL CPU per response, µs (NaN on SQLite). */
  dbUs: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

async function measure(side: Side, route: Route, seconds: number, o: Options, dbPid: number | undefined): Promise<Sample> {
  const s = side.server!;
  const cpu = () => cpuSeconds(s.child.pid);
  const db = () => (dbPid === undefined ? 0 : treeCpuSeconds(dbPid));
  await waitIdle(() => {
    const a = cpu();
    const b = db();
    return a === null || b === null ? null : a + b;
  });
  const cpuBefore = cpu();
  const dbBefore = db();
  let next = 0;
  // autocannon's own percentiles are whole milliseconds; these are the exact times (2xx only).
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: s.base,
        connections: o.connections,
        duration: seconds,
        timeout: 30,
        setupClient(client) {
          client.setRequests(requestsFor(route, side.fixture!, next++));
        },
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) times.push(ms);
    });
  });
  const cpuAfter = cpu();
  const dbAfter = db();
  const responses = result["2xx"] + result.non2xx;
  times.sort((a, b) => a - b);
  return {
    rps: result["2xx"] / result.duration,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    bad: result.non2xx + result.errors + result.timeouts,
    cpuUs: cpuBefore === null || cpuAfter === null || !responses ? NaN : ((cpuAfter - cpuBefore) * 1e6) / responses,
    dbUs: dbPid === undefined || dbBefore === null || dbAfter === null || !responses ? NaN : ((dbAfter - dbBefore) * 1e6) / responses,
  };
}

interface RouteFigures {
  route: string;
  empty: Summary;
  seeded: Summary;
  ratio: { rps: number; p50: number; p99: number; cpu: number };
  within: boolean;
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  dbUs: number;
  bad: number;
  /** Every round's figures, in the order measured. */
  rounds: Sample[];
}

function summarize(xs: Sample[]): Summary {
  return {
    rps: median(xs.map((x) => x.rps)),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    cpuUs: median(xs.map((x) => x.cpuUs)),
    dbUs: median(xs.map((x) => x.dbUs)),
    bad: xs.reduce((t, x) => t + x.bad, 0),
    rounds: xs,
  };
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** One figure as "empty → seeded (seeded/empty)". */
const pair = (e: number, s: number, show: (v: number) => string) => `${show(e)} → ${show(s)} (${(s / e).toFixed(2)}×)`;

function report(title: string, figures: RouteFigures[], withDb: boolean): string {
  const rows = [
    [
      "route",
      "req/s empty → seeded",
      "p50 ms",
      "p99 ms",
      withDb ? "CPU µs/req (server + PostgreSQL)" : "CPU µs/req (server)",
      `within ${TARGET}×`,
    ],
    ...figures.map((f) => [
      f.route,
      pair(f.empty.rps, f.seeded.rps, fmt),
      pair(f.empty.p50, f.seeded.p50, ms),
      pair(f.empty.p99, f.seeded.p99, ms),
      pair(f.empty.cpuUs + (withDb ? f.empty.dbUs : 0), f.seeded.cpuUs + (withDb ? f.seeded.dbUs : 0), fmt),
      f.within ? "yes" : "NO",
    ]),
  ];
  return `### ${title}\n\n${table(rows)}`;
}

// ---------------------------------------------------------------------------
// Main

export async function runScale(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  process.on("exit", stopAllSync);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      stopAllSync();
      process.exit(130);
    });
  }
  try {
    await main(o);
    return 0;
  } catch (err) {
    console.error("\nbench --scale failed:", err instanceof Error ? (err.stack ?? err.message) : err);
    stopAllSync();
    for (const p of pgServers) await p.stop().catch(() => {});
    return 1;
  }
}

async function main(o: Options) {
  const cpus = affinity();
  const machineCpus = os.availableParallelism();
  const pinned = cpus !== null && cpus.length >= 2;
  const serverCpu = pinned ? cpus[0]! : undefined;
  const benchCpu = pinned ? cpus[1]! : undefined;
  if (pinned) pin(process.pid, benchCpu!);
  const tmpRoot = mkdtempSync(path.join(os.tmpdir(), "ai-book-scale-"));
  const loadBefore = os.loadavg()[0]!;
  const full = sizesFor(o.users);

  console.log("AI Book bench --scale: empty vs seeded database");
  console.log(
    pinned
      ? `  server (and PostgreSQL) pinned to CPU ${serverCpu}, seeding and autocannon in this process pinned to CPU ${benchCpu}`
      : `  NOT pinned (${cpus === null ? "no taskset" : "only one CPU available"}): server, database and load generator share ${machineCpus} CPU(s)`,
  );
  console.log(`  node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${machineCpus} CPUs available, load average ${loadBefore.toFixed(2)}`);
  console.log(
    `  seeded: ${full.users.toLocaleString("en-US")} users (+${full.anonymous.toLocaleString("en-US")} anonymous), ${full.sessions.toLocaleString("en-US")} sessions, ` +
      `${full.messages.toLocaleString("en-US")} messages, ${full.refreshTokens.toLocaleString("en-US")} refresh tokens, ${full.securityEvents.toLocaleString("en-US")} security events; ` +
      `empty: the ${o.benchUsers} bench users only`,
  );
  if (!o.plansOnly) {
    console.log(
      `  NODE_ENV=production, RATE_LIMIT=off, ${o.connections} connections, ${o.duration} s per measurement after a ${o.warmup} s warm-up, ` +
        `${o.rounds} interleaved rounds, median; requests rotate over the ${o.benchUsers} bench users (${READ_CHAT_MESSAGES}-message chats, answers in a chat of ${ANSWER_CHAT_MESSAGES}+)`,
    );
  }
  console.log(`  temp dir ${tmpRoot}`);

  process.stdout.write("  hashing the seed password once (argon2id, the app's parameters)... ");
  const passwordHash = await hashPassword(SEED_PASSWORD);
  console.log("ok");

  const results: Record<string, unknown>[] = [];
  const reports: string[] = [];
  for (const kind of o.dbs) {
    let pgServer: PgServer | undefined;
    let dbPid: number | undefined;
    const sides: Side[] = [];
    try {
      if (kind === "sqlite") {
        for (const label of ["seeded", "empty"] as const) {
          const dir = path.join(tmpRoot, `sqlite-${label}`);
          mkdirSync(dir, { recursive: true });
          sides.push({ label, target: { kind, file: path.join(dir, "aibook.db") }, sizes: label === "seeded" ? full : emptySizes(o.benchUsers) });
        }
      } else {
        process.stdout.write("\n  starting PostgreSQL (test/support/pg-server.ts)... ");
        pgServer = await startPgServer();
        pgServers.push(pgServer);
        const admin = new pg.Client({ connectionString: pgServer.url });
        await admin.connect();
        const version = (await admin.query<{ server_version: string }>("show server_version")).rows[0]!.server_version;
        for (const label of ["seeded", "empty"] as const) {
          await admin.query(`create database aibook_${label}`);
          const url = new URL(pgServer.url);
          url.pathname = `/aibook_${label}`;
          sides.push({ label, target: { kind, url: url.toString() }, sizes: label === "seeded" ? full : emptySizes(o.benchUsers) });
        }
        await admin.end();
        console.log(`PostgreSQL ${version}`);
      }
      const name = kind === "sqlite" ? "SQLite" : "PostgreSQL";

      for (const side of sides) {
        const started = performance.now();
        await migrate(side.target, o.withoutScaleIndexes ? ["0007_scale_indexes"] : []);
        const migrated = (performance.now() - started) / 1000;
        console.log(`\n  ${name} ${side.label}: migrated in ${migrated.toFixed(1)} s, seeding...`);
        side.seed = await seed(side.target, side.sizes, { benchUsers: o.benchUsers, passwordHash, log: (l) => side.label === "seeded" && console.log(`    ${l}`) });
        const rows = Object.values(side.seed.rows).reduce((a, b) => a + b, 0);
        console.log(
          `  ${name} ${side.label}: ${rows.toLocaleString("en-US")} rows seeded in ${side.seed.totalSeconds.toFixed(1)} s` +
            Object.entries(side.seed.seconds)
              .filter(([step]) => !(step in side.seed!.rows))
              .map(([step, s]) => ` (${step} ${s.toFixed(1)} s)`)
              .join(""),
        );
      }

      const seeded = sides.find((s) => s.label === "seeded")!;
      const plans: Plan[] = await explainAll(seeded.target);
      const title = `Query plans on the seeded ${name} database${o.withoutScaleIndexes ? " WITHOUT 0007_scale_indexes" : ""}`;
      console.log(`\n${formatPlans(title, plans)}`);
      const result: Record<string, unknown> = {
        database: kind,
        seeding: Object.fromEntries(sides.map((s) => [s.label, { rows: s.seed!.rows, seconds: s.seed!.seconds, totalSeconds: s.seed!.totalSeconds }])),
        plans,
      };
      results.push(result);
      if (o.plansOnly) continue;

      if (pgServer && pinned) {
        dbPid = postmasterPid(pgServer.port);
        for (const pid of [dbPid, ...childPids(dbPid)]) pin(pid, serverCpu!); // new backends inherit the postmaster's CPU
      } else if (pgServer) {
        dbPid = postmasterPid(pgServer.port);
      }

      for (const side of sides) {
        const port = await freePort();
        const dataDir = path.join(tmpRoot, `${kind}-${side.label}-data`);
        mkdirSync(dataDir, { recursive: true });
        side.server = await startServerProcess({
          label: `${name} ${side.label}`,
          port,
          cpu: serverCpu,
          env: serverEnv(`http://127.0.0.1:${port}`, port, {
            DATA_DIR: dataDir,
            DATABASE_URL: side.target.kind === "sqlite" ? side.target.file : side.target.url,
            BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
            // The per-user chat limits would refuse the answers after a few; the daily quota is always on.
            RATE_LIMIT: "off",
            CHAT_USER_DAILY_MESSAGES: "1000000",
          }),
          register: (p) => servers.push(p),
        });
      }
      for (const side of sides) {
        process.stdout.write(`  ${name} ${side.label}: signing in the ${o.benchUsers} bench users, checking each route... `);
        side.fixture = await setUp(side);
        console.log("ok");
      }

      process.stdout.write("  warm-up");
      for (const side of sides) for (const r of o.routes) await measure(side, r, r === "signIn" ? 3 * o.warmup : o.warmup, o, dbPid);
      console.log(" done");

      const samples = new Map<Side, Record<Route, Sample[]>>(sides.map((s) => [s, { signIn: [], cookie: [], jwt: [], chatList: [], chatOpen: [], answer: [] }]));
      for (let round = 0; round < o.rounds; round++) {
        // Rotate the routes, and which database goes first, so a slow stretch of the machine hits both alike.
        const order = o.routes.map((_, i) => o.routes[(i + round) % o.routes.length]!);
        const sideOrder = round % 2 === 0 ? sides : [...sides].reverse();
        const line: string[] = [];
        for (const r of order) {
          for (const side of sideOrder) {
            const x = await measure(side, r, o.duration, o, dbPid);
            samples.get(side)![r].push(x);
            line.push(`${r}[${side.label}] ${fmt(x.rps)}${x.bad ? ` (!${x.bad} bad)` : ""}`);
          }
        }
        console.log(`  round ${round + 1}/${o.rounds}: ${line.join(", ")}`);
      }

      const empty = sides.find((s) => s.label === "empty")!;
      const figures: RouteFigures[] = o.routes.map((r) => {
        const e = summarize(samples.get(empty)![r]);
        const s = summarize(samples.get(seeded)![r]);
        const rt = { rps: s.rps / e.rps, p50: s.p50 / e.p50, p99: s.p99 / e.p99, cpu: (s.cpuUs + (s.dbUs || 0)) / (e.cpuUs + (e.dbUs || 0)) };
        return { route: ROUTE_LABEL[r], empty: e, seeded: s, ratio: rt, within: rt.rps >= 1 / TARGET && rt.p50 <= TARGET && rt.p99 <= TARGET };
      });
      result.figures = figures;
      const text = report(`${name}: seeded (${o.users.toLocaleString("en-US")} users) vs empty (${o.benchUsers} users)`, figures, kind === "postgres");
      reports.push(text);
      console.log(`\n${text}`);
      const bad = figures.filter((f) => f.empty.bad + f.seeded.bad > 0);
      if (bad.length) console.log(`\nWARNING: non-2xx responses or errors in: ${bad.map((f) => f.route).join(", ")} (only 2xx are counted)`);
    } finally {
      for (const side of sides) if (side.server) await stopServerProcess(side.server);
      if (pgServer) await pgServer.stop();
    }
  }

  if (reports.length > 1) console.log(`\n## Summary\n\n${reports.join("\n\n")}`);
  if (!o.plansOnly) {
    console.log(
      `\nseeded/empty: req/s should stay >= ${(1 / TARGET).toFixed(2)}, p50 and p99 <= ${TARGET}. CPU µs/req is the server's CPU time per response` +
        " (and PostgreSQL's, all backends): far less disturbed by other processes than req/s and latencies.",
    );
  }
  const loadAfter = os.loadavg()[0]!;
  console.log(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (the bench itself makes ~2).`);
  const out = path.join(os.tmpdir(), `ai-book-bench-scale-${Date.now()}.json`);
  writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? null, loadAverage: { before: loadBefore, after: loadAfter }, options: o, sizes: full, results },
      null,
      2,
    ) + "\n",
  );
  console.log(`Results (JSON): ${out}`);
  if (o.keep) console.log(`Temp dir kept: ${tmpRoot}`);
  else rmSync(tmpRoot, { recursive: true, force: true });
}
