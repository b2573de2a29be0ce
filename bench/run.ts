/**
 * `npm run bench`: throughput of the real server against its own ceiling, on this machine.
 *
 * Starts `src/server/main.ts` as a child process (production mode, SQLite in a temp dir), pinned
 * to one core; drives it with autocannon from this process, pinned to another core; and reports
 * ratios taken within the same run (absolute figures drift 20-60 % between runs on small VMs,
 * ratios do not; see bench/README.md):
 *
 *   GET /api/v1/me (bearer JWT)  / GET /health          target >= 0.7
 *   GET /api/v1/me (cookie)      / GET /health          target >= 0.5
 *   POST /api/auth/sign-in/email / argon2id verifies/s  target >= 0.8
 *
 * Each ratio twice: from req/s, and from the server's CPU time per request (read from /proc),
 * which neighbours on a shared machine disturb much less (bench/README.md, "Reading the output").
 *
 * Options (after `npm run bench --`):
 *   --duration=S       seconds per measurement (default 6)
 *   --rounds=N         interleaved rounds, median taken (default 3)
 *   --connections=N    autocannon connections for sign-in (default 50)
 *   --api-connections=N  connections for /health and /api/v1/me (default 200; 50 = the earlier
 *                      method, see bench/README.md on client wake-ups)
 *   --users=N          accounts signed up and rotated through by the sign-in run (default 50)
 *   --config=off|on|both   RATE_LIMIT of the server(s) measured (default both, interleaved)
 *   --routes=a,b       measure only these of health,jwt,cookie,signIn (e.g. to profile one route);
 *                      betterAuthSession (GET /api/auth/get-session) is available for comparison
 *   --quick            --duration=3 --rounds=2 (a smoke run)
 *   --profile          run the server(s) under `node --cpu-prof`; profiles land in the temp dir
 *   --keep             keep the temp dir (database, logs) afterwards
 *
 * A benchmark reports; it does not gate: the exit code is 0 unless the bench itself broke.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { hash, verify } from "@node-rs/argon2";
import {
  affinity,
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
  waitIdle,
  type ServerProcess,
} from "./support.ts";

// `--book`: a generated Docusaurus book, cold and warm start, chapter latency (bench/book.ts).
if (process.argv.includes("--book")) {
  const { runBookBench } = await import("./book.ts");
  process.exit(await runBookBench());
}

// `--scale`: the same server on an empty and on a seeded database (bench/scale.ts).
if (process.argv.includes("--scale")) {
  const { runScale } = await import("./scale.ts");
  process.exit(await runScale(process.argv.slice(2)));
}

// ---------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag("quick");
const DURATION = Number(option("duration") ?? (quick ? 3 : 6));
const ROUNDS = Number(option("rounds") ?? (quick ? 2 : 3));
const CONNECTIONS = Number(option("connections") ?? 50);
/**
 * Connections for the API routes (sign-in keeps --connections: it is bound by the hash, and more
 * would only lengthen its queue). With 50, the load generator slept between responses whenever
 * the server was slower than it, and on this VM the server then paid to wake it on every
 * response: `perf` put 16 % of the server's CPU on GET /api/v1/me in `sock_def_readable` ->
 * `_raw_spin_unlock_irqrestore` (the wake-up of the client's socket), far less on /health, which
 * kept the client busy. That cost grows as a route gets slower: a property of loopback
 * benchmarking, not of the route. With 200 the client stays busy on every route, the server's
 * core stays the bottleneck, and the ratios compare the routes' own work. `--api-connections=50`
 * gives the earlier method.
 */
const API_CONNECTIONS = Number(option("api-connections") ?? 200);
const USERS = Number(option("users") ?? 50);
const WARMUP = quick ? 1 : 2;
const HASH_SECONDS = quick ? 1.5 : 3;
const CONFIG = option("config") ?? "both";
const PROFILE = flag("profile");
const KEEP = flag("keep");
if (!["off", "on", "both"].includes(CONFIG)) throw new Error("--config must be off, on or both");
for (const [name, v] of Object.entries({ DURATION, ROUNDS, CONNECTIONS, USERS, API_CONNECTIONS })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`bad ${name.toLowerCase()}: ${v}`);
}

/** The same argon2id parameters as src/server/auth/password-hash.ts. */
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const TARGETS = { jwt: 0.7, cookie: 0.5, signIn: 0.8 } as const;

// ---------------------------------------------------------------------------
// CPU pinning: server on one core, this process (autocannon) on another.

const cpus = affinity();
/** CPUs this machine gives us, counted before pinning ourselves to one. */
const machineCpus = os.availableParallelism();
const pinned = cpus !== null && cpus.length >= 2;
const serverCpu = pinned ? cpus[0]! : undefined;
const benchCpu = pinned ? cpus[1]! : undefined;
if (pinned) pin(process.pid, benchCpu!);
/** Cores the server may run on: the hash limit is per core times this. */
const serverCores = pinned ? 1 : machineCpus;

// ---------------------------------------------------------------------------
// Server

interface Server extends ServerProcess {
  rateLimit: boolean;
  dataDir: string;
}

const servers: Server[] = [];
let tmpRoot = "";

async function startServer(rateLimit: boolean): Promise<Server> {
  const label = `RATE_LIMIT=${rateLimit ? "on" : "off"}`;
  const dataDir = path.join(tmpRoot, rateLimit ? "server-rl-on" : "server-rl-off");
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const env = serverEnv(`http://127.0.0.1:${port}`, port, {
    DATA_DIR: dataDir,
    BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
    RATE_LIMIT: rateLimit ? "on" : "off",
  });
  const nodeArgs = PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${path.join(tmpRoot, `profile-${rateLimit ? "on" : "off"}`)}`] : [];
  let server: Server | undefined;
  await startServerProcess({
    label,
    port,
    env,
    cpu: serverCpu,
    nodeArgs,
    register: (p) => servers.push((server = Object.assign(p, { rateLimit, dataDir }))),
  });
  return server!;
}

const stopServer = stopServerProcess;

function stopAllSync() {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
}
process.on("exit", stopAllSync);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopAllSync();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------
// Setup: accounts, a session cookie, an access JWT

interface Account {
  email: string;
  password: string;
}

interface Fixture {
  origin: string;
  accounts: Account[];
  cookie: string;
  jwt: string;
}

async function setUp(s: Server): Promise<Fixture> {
  const run = randomBytes(4).toString("hex");
  const accounts: Account[] = Array.from({ length: USERS }, (_, i) => ({
    email: `bench-${run}-${i}@example.com`,
    password: `Quartz-${randomBytes(12).toString("base64url")}-lantern`,
  }));
  // Sign-ups hash (argon2, ~10 ms each on one core): a few at a time.
  for (let i = 0; i < accounts.length; i += 8) {
    await Promise.all(
      accounts.slice(i, i + 8).map(async (a, j) => {
        const res = await setupCall(s.base, "POST", "/api/auth/sign-up/email", { name: `Bench Reader ${i + j}`, email: a.email, password: a.password });
        if (res.status !== 200) throw new Error(`${s.label}: sign-up failed: ${res.status} ${res.text}`);
      }),
    );
  }
  const first = accounts[0]!;
  const signIn = await setupCall(s.base, "POST", "/api/auth/sign-in/email", { email: first.email, password: first.password });
  if (signIn.status !== 200) throw new Error(`${s.label}: sign-in failed: ${signIn.status} ${signIn.text}`);
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .filter((c) => !c.endsWith("="))
    .join("; ");
  if (!cookie.includes("session_token=")) throw new Error(`${s.label}: no session cookie in the sign-in response`);
  const token = await setupCall(s.base, "POST", "/api/v1/auth/token", { grant_type: "password", email: first.email, password: first.password });
  const jwt = token.json.access_token;
  if (token.status !== 200 || typeof jwt !== "string") throw new Error(`${s.label}: token grant failed: ${token.status} ${token.text}`);

  // Each measured request must succeed the way the run sends it.
  const viaCookie = await setupCall(s.base, "GET", "/api/v1/me", undefined, { cookie });
  if (viaCookie.status !== 200 || viaCookie.json.authenticatedVia !== "session") {
    throw new Error(`${s.label}: /api/v1/me with the cookie: ${viaCookie.status} ${viaCookie.text}`);
  }
  const viaJwt = await setupCall(s.base, "GET", "/api/v1/me", undefined, { authorization: `Bearer ${jwt}` });
  if (viaJwt.status !== 200 || viaJwt.json.authenticatedVia !== "bearer") {
    throw new Error(`${s.label}: /api/v1/me with the JWT: ${viaJwt.status} ${viaJwt.text}`);
  }
  // Exactly what the sign-in run sends (Better Auth 1.7 refuses a sign-in without Origin, cookie or not).
  const fx: Fixture = { origin: s.base, accounts, cookie, jwt };
  const [probe] = requestsFor("signIn", fx, 0);
  const res = await fetch(s.base + probe!.path, { method: probe!.method, headers: probe!.headers as Record<string, string>, body: probe!.body as string });
  if (res.status !== 200) throw new Error(`${s.label}: sign-in as the run sends it: ${res.status} ${await res.text()}`);
  return fx;
}

// ---------------------------------------------------------------------------
// Measurements

type RouteName = "health" | "jwt" | "cookie" | "signIn" | "betterAuthSession";
const ALL_ROUTES: RouteName[] = ["health", "jwt", "cookie", "signIn", "betterAuthSession"];
/** Measured unless --routes says otherwise; `betterAuthSession` (Better Auth's own session check) only on request. */
const DEFAULT_ROUTES: RouteName[] = ["health", "jwt", "cookie", "signIn"];
const ROUTES = option("routes")
  ? ALL_ROUTES.filter((r) => option("routes")!.split(",").includes(r))
  : DEFAULT_ROUTES;
if (ROUTES.length === 0) throw new Error(`--routes: pick from ${ALL_ROUTES.join(",")}`);
const ROUTE_LABEL: Record<RouteName, string> = {
  health: "GET /health",
  jwt: "GET /api/v1/me (Bearer JWT)",
  cookie: "GET /api/v1/me (session cookie)",
  signIn: "POST /api/auth/sign-in/email",
  betterAuthSession: "GET /api/auth/get-session (cookie)",
};

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server CPU time (all its threads) per response, in microseconds. */
  cpuUsPerReq: number;
  /** Share of one core the server used during the run: near 1 means it was the bottleneck. */
  serverBusy: number;
}

/** Requests a connection cycles through: each its own client addresses (and, for sign-in, users). */
const PER_CLIENT = 64;

function requestsFor(route: RouteName, fx: Fixture, client: number): autocannon.Request[] {
  return Array.from({ length: PER_CLIENT }, (_, j) => {
    const xff = ipFor(client * PER_CLIENT + j);
    switch (route) {
      case "health":
        return { method: "GET", path: "/health", headers: { "x-forwarded-for": xff } };
      case "jwt":
        return { method: "GET", path: "/api/v1/me", headers: { "x-forwarded-for": xff, authorization: `Bearer ${fx.jwt}` } };
      case "cookie":
        return { method: "GET", path: "/api/v1/me", headers: { "x-forwarded-for": xff, cookie: fx.cookie } };
      case "betterAuthSession":
        return { method: "GET", path: "/api/auth/get-session", headers: { "x-forwarded-for": xff, cookie: fx.cookie } };
      case "signIn": {
        const a = fx.accounts[(client * 7 + j) % fx.accounts.length]!;
        return {
          method: "POST",
          path: "/api/auth/sign-in/email",
          headers: { "x-forwarded-for": xff, "content-type": "application/json", origin: fx.origin },
          body: JSON.stringify({ email: a.email, password: a.password }),
        };
      }
    }
  });
}

async function measure(s: Server, fx: Fixture, route: RouteName, seconds: number): Promise<Sample> {
  let next = 0;
  await waitIdle(() => cpuSeconds(s.child.pid));
  const cpuBefore = cpuSeconds(s.child.pid);
  const result = await autocannon({
    url: s.base,
    connections: route === "signIn" ? CONNECTIONS : API_CONNECTIONS,
    duration: seconds,
    timeout: 30,
    setupClient(client) {
      client.setRequests(requestsFor(route, fx, next++));
    },
  });
  const cpuAfter = cpuSeconds(s.child.pid);
  const cpu = cpuBefore === null || cpuAfter === null ? NaN : cpuAfter - cpuBefore;
  const responses = result["2xx"] + result.non2xx;
  return {
    rps: result["2xx"] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    cpuUsPerReq: responses ? (cpu * 1e6) / responses : NaN,
    serverBusy: cpu / result.duration,
  };
}

/**
 * Sign-in is warmed up until its CPU cost per request stops falling. At ~100 requests a second
 * the sign-in code reaches V8's optimising compilers only after thousands of requests: after a
 * 2 s warm-up the server's compiler threads were still busy and each sign-in cost ~1 ms more
 * than at steady state, which is what a server that has been up for a while runs at. Chunks of
 * 5 s, at least 15 s, until a chunk is less than 2 % cheaper than the one before (at most 45 s).
 */
async function warmUpSignIn(s: Server, fx: Fixture): Promise<number[]> {
  const seconds = quick ? 3 : 5;
  const costs: number[] = [];
  const started = performance.now();
  for (;;) {
    const x = await measure(s, fx, "signIn", seconds);
    costs.push(x.cpuUsPerReq);
    const elapsed = (performance.now() - started) / 1000;
    const prev = costs.at(-2);
    const settled = prev !== undefined && x.cpuUsPerReq > prev * 0.98;
    if ((elapsed >= (quick ? 9 : 15) && settled) || elapsed >= (quick ? 24 : 45)) return costs;
  }
}

interface HashSample {
  /** Verifies per second, wall clock. */
  perSecond: number;
  /** CPU time per verify (this process, all threads), in microseconds. */
  cpuUsPerHash: number;
}

/** argon2id verifies, one after another, on this process's core. */
async function hashLimit(seconds: number, stored: string, password: string): Promise<HashSample> {
  let n = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    if (!(await verify(stored, password))) throw new Error("argon2 verify of the precomputed hash failed");
    n++;
  }
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: n / elapsed, cpuUsPerHash: (used.user + used.system) / n };
}

// ---------------------------------------------------------------------------
// Report

interface RouteResult {
  route: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  samples: number[];
  non2xx: number;
  errors: number;
  cpuUsPerReq: number;
  serverBusy: number;
}

interface ConfigResult {
  config: string;
  routes: Partial<Record<RouteName, RouteResult>>;
  ratios: { name: string; value: number; target: number; verdict: "PASS" | "BELOW"; byCpu: number; verdictByCpu: "PASS" | "BELOW" }[];
}

function summarize(label: string, samples: Record<RouteName, Sample[]>, hash: HashSample): ConfigResult {
  const routes: Partial<Record<RouteName, RouteResult>> = {};
  for (const r of ROUTES) {
    const xs = samples[r];
    routes[r] = {
      route: ROUTE_LABEL[r],
      rps: median(xs.map((x) => x.rps)),
      p50Ms: median(xs.map((x) => x.p50)),
      p99Ms: median(xs.map((x) => x.p99)),
      samples: xs.map((x) => Math.round(x.rps)),
      non2xx: xs.reduce((t, x) => t + x.non2xx, 0),
      errors: xs.reduce((t, x) => t + x.errors, 0),
      cpuUsPerReq: median(xs.map((x) => x.cpuUsPerReq)),
      serverBusy: median(xs.map((x) => x.serverBusy)),
    };
  }
  const ratios: ConfigResult["ratios"] = [];
  const ratio = (name: string, value: number, target: number, byCpu: number) =>
    ratios.push({ name, value, target, verdict: value >= target ? "PASS" : "BELOW", byCpu, verdictByCpu: byCpu >= target ? "PASS" : "BELOW" });
  const { health, jwt, cookie, signIn } = routes;
  if (jwt && health) ratio("JWT route / health", jwt.rps / health.rps, TARGETS.jwt, health.cpuUsPerReq / jwt.cpuUsPerReq);
  if (cookie && health) ratio("cookie route / health", cookie.rps / health.rps, TARGETS.cookie, health.cpuUsPerReq / cookie.cpuUsPerReq);
  if (signIn) ratio("sign-in / hash limit", signIn.rps / (hash.perSecond * serverCores), TARGETS.signIn, hash.cpuUsPerHash / signIn.cpuUsPerReq);
  return { config: label, routes, ratios };
}


// ---------------------------------------------------------------------------
// Main

async function main() {
  tmpRoot = mkdtempSync(path.join(os.tmpdir(), "ai-book-bench-"));
  const configs = CONFIG === "both" ? [false, true] : [CONFIG === "on"];
  console.log("AI Book bench");
  console.log(
    pinned
      ? `  server pinned to CPU ${serverCpu} (taskset), autocannon in this process pinned to CPU ${benchCpu}`
      : `  NOT pinned (${cpus === null ? "no taskset" : "only one CPU available"}): server and load generator share ${machineCpus} CPU(s)`,
  );
  console.log(`  node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${machineCpus} CPUs available`);
  const loadBefore = os.loadavg()[0]!;
  if (loadBefore > 0.5) console.log(`  load average ${loadBefore.toFixed(2)} before the run: other processes compete for the cores`);
  console.log(`  NODE_ENV=production, SQLite in ${tmpRoot}, REQUIRE_EMAIL_VERIFICATION=false (accounts usable without mail)`);
  console.log(
    `  ${API_CONNECTIONS} connections (sign-in: ${CONNECTIONS}), ${DURATION} s per measurement after a ${WARMUP} s warm-up (sign-in: until steady), ${ROUNDS} interleaved rounds, median`,
  );

  for (const rl of configs) await startServer(rl);
  const fixtures = new Map<Server, Fixture>();
  for (const s of servers) {
    process.stdout.write(`  ${s.label}: signing up ${USERS} users... `);
    fixtures.set(s, await setUp(s));
    console.log("ok");
  }

  const stored = await hash("bench-hash-limit-password", ARGON2);
  const hashSamples: HashSample[] = [];
  const samples = new Map<Server, Record<RouteName, Sample[]>>(
    servers.map((s) => [s, { health: [], jwt: [], cookie: [], signIn: [], betterAuthSession: [] }]),
  );

  const busyWarnings = new Set<string>();
  process.stdout.write("  warm-up");
  const warmUps: string[] = [];
  for (const s of servers) {
    for (const r of ROUTES) {
      if (r !== "signIn") await measure(s, fixtures.get(s)!, r, WARMUP);
      else warmUps.push(`${s.label}: ${(await warmUpSignIn(s, fixtures.get(s)!)).map((us) => fmt(us / 1000)).join(" → ")} ms CPU per sign-in`);
    }
  }
  await hashLimit(0.5, stored, "bench-hash-limit-password");
  console.log(" done");
  for (const w of warmUps) console.log(`  sign-in warm-up until steady, ${w}`);

  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so a slow stretch of the machine does not always hit one route.
    const order = ROUTES.map((_, i) => ROUTES[(i + round) % ROUTES.length]!);
    const line: string[] = [];
    for (const r of order) {
      for (const s of servers) {
        const x = await measure(s, fixtures.get(s)!, r, DURATION);
        samples.get(s)![r].push(x);
        line.push(`${r}${servers.length > 1 ? `[${s.rateLimit ? "on" : "off"}]` : ""} ${fmt(x.rps)}${x.non2xx || x.errors ? ` (!${x.non2xx} non-2xx, ${x.errors} errors)` : ""}`);
        if (x.serverBusy < 0.8 && r !== "signIn") busyWarnings.add(`${s.label} ${ROUTE_LABEL[r]}`);
      }
    }
    const h = await hashLimit(HASH_SECONDS, stored, "bench-hash-limit-password");
    hashSamples.push(h);
    line.push(`argon2 ${fmt(h.perSecond)}/s`);
    console.log(`  round ${round + 1}/${ROUNDS}: ${line.join(", ")}`);
  }

  const hashPerCore = median(hashSamples.map((h) => h.perSecond));
  const hashCpuUs = median(hashSamples.map((h) => h.cpuUsPerHash));
  const results = servers.map((s) => summarize(s.label, samples.get(s)!, { perSecond: hashPerCore, cpuUsPerHash: hashCpuUs }));

  console.log("");
  for (const r of results) {
    console.log(`### ${r.config}`);
    console.log(
      table([
        ["route", "req/s (median)", "p50 ms", "p99 ms", "rounds (req/s)", "server CPU µs/req", "server busy", "non-2xx"],
        ...ROUTES.map((k) => {
          const x = r.routes[k]!;
          return [
            x.route,
            fmt(x.rps),
            String(x.p50Ms),
            String(x.p99Ms),
            x.samples.map((v) => fmt(v)).join(" / "),
            fmt(x.cpuUsPerReq),
            `${Math.round(x.serverBusy * 100)} %`,
            String(x.non2xx + x.errors),
          ];
        }),
      ]),
    );
    console.log("");
  }
  console.log(
    `argon2id verify (m=19 MiB, t=2, p=1, @node-rs/argon2), sequential: ${fmt(hashPerCore)}/s per core (${fmt(hashCpuUs / 1000)} ms CPU each)` +
      ` x ${serverCores} core${serverCores === 1 ? "" : "s"} the server runs on = ${fmt(hashPerCore * serverCores)}/s hash limit` +
      ` (x ${machineCpus} cores of this machine = ${fmt(hashPerCore * machineCpus)}/s)`,
  );
  console.log("");
  console.log(
    table([
      ["ratio (req/s)", ...results.map((r) => r.config), "target", ...results.map((r) => `by CPU time, ${r.config}`)],
      ...results[0]!.ratios.map((_, i) => [
        results[0]!.ratios[i]!.name,
        ...results.map((r) => `${r.ratios[i]!.value.toFixed(2)} ${r.ratios[i]!.verdict}`),
        `>= ${results[0]!.ratios[i]!.target}`,
        ...results.map((r) => `${r.ratios[i]!.byCpu.toFixed(2)} ${r.ratios[i]!.verdictByCpu}`),
      ]),
    ]),
  );
  const bad = results.flatMap((r) => ROUTES.filter((k) => r.routes[k]!.non2xx + r.routes[k]!.errors > 0).map((k) => `${r.config} ${ROUTE_LABEL[k]}`));
  if (bad.length) console.log(`\nWARNING: non-2xx responses or errors in: ${bad.join(", ")} (only 2xx are counted in req/s)`);
  if (busyWarnings.size) {
    console.log(
      `\nNOTE: the server used under 80 % of its core in: ${[...busyWarnings].join(", ")}.` +
        " The load generator or other processes on the machine were the limit there, not the server:" +
        " trust the CPU-time ratios more than the req/s ones for this run.",
    );
  }
  console.log(
    "\nCPU-time ratios: server CPU per request of /health over that of the route (and argon2 CPU per verify over" +
      " server CPU per sign-in): what req/s ratios converge to when the server's core is the bottleneck.",
  );

  const loadAfter = os.loadavg()[0]!;
  console.log(`\nLoad average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (bench included; ~2 means nothing else ran).`);
  const report = {
    date: new Date().toISOString(),
    loadAverage: { before: loadBefore, after: loadAfter },
    node: process.version,
    cpu: os.cpus()[0]?.model ?? null,
    cpusAvailable: machineCpus,
    pinned: pinned ? { server: serverCpu, loadGenerator: benchCpu } : null,
    settings: { connections: CONNECTIONS, apiConnections: API_CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, rounds: ROUNDS, users: USERS },
    server: { NODE_ENV: "production", database: "sqlite", REQUIRE_EMAIL_VERIFICATION: false, TRUSTED_PROXIES: "127.0.0.1" },
    hashLimit: {
      perCore: hashPerCore,
      cpuUsPerVerify: hashCpuUs,
      serverCores,
      perServer: hashPerCore * serverCores,
      machine: hashPerCore * machineCpus,
      samples: hashSamples,
    },
    results,
  };
  const out = path.join(os.tmpdir(), `ai-book-bench-${Date.now()}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nResults (JSON): ${out}`);

  await Promise.all(servers.map(stopServer));
  if (PROFILE) console.log(`CPU profiles: ${tmpRoot}/profile-*/ (open in Chrome DevTools > Performance)`);
  if (KEEP || PROFILE) console.log(`Temp dir kept: ${tmpRoot}`);
  else rmSync(tmpRoot, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("\nbench failed:", err instanceof Error ? err.message : err);
    stopAllSync();
    process.exit(1);
  },
);
