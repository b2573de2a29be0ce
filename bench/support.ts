/**
 * Helpers shared by `npm run bench` (bench/run.ts) and `npm run bench -- --scale` (bench/scale.ts):
 * CPU pinning, free ports, CPU time from /proc, the server child process, Markdown tables.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");

/** The CPUs this process may run on (`taskset -pc`), or null without taskset or outside Linux. */
export function affinity(): number[] | null {
  try {
    const out = execFileSync("taskset", ["-pc", String(process.pid)], { encoding: "utf8" });
    const list = out.split(":").pop()!.trim();
    const cpus: number[] = [];
    for (const part of list.split(",")) {
      const [a, b] = part.split("-").map(Number);
      for (let i = a!; i <= (b ?? a!); i++) cpus.push(i);
    }
    return cpus;
  } catch {
    return null; // no taskset (util-linux) or not Linux
  }
}

/** Pin a running process (all its threads) to one CPU. */
export function pin(pid: number, cpu: number): void {
  execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards), or null. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/**
 * CPU seconds the process has used (user + system, all threads), from /proc; null elsewhere.
 * On a shared or throttled machine req/s swings with the neighbours, CPU per request much less:
 * the reports show both.
 */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLK_TCK : null; // utime, stime (fields 14, 15)
}

/**
 * CPU seconds of a process and all its children, the exited ones included (cutime + cstime,
 * which the parent collects when it reaps them): for PostgreSQL, the postmaster and every
 * backend it forked, whichever connection did the work.
 */
export function treeCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const own = statFields(pid);
  if (!own) return null;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLK_TCK;
}

/** Pids of a process's direct children. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[1]) === pid) out.push(Number(entry));
  }
  return out;
}

/**
 * Wait until a process is idle (under 10 % of a core over 100 ms, at most 10 s): autocannon
 * stops with requests in flight, and a sign-in run leaves dozens queued behind the hash. Measured
 * from a busy start, the next run would pay for them.
 */
export async function waitIdle(cpu: () => number | null): Promise<void> {
  const deadline = performance.now() + 10_000;
  let last = cpu();
  while (last !== null && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const now = cpu();
    if (now === null || now - last < 0.01) return;
    last = now;
  }
}

/** Client address number `n` as X-Forwarded-For: 10.x.y.z, distinct for n < 2^24. */
export const ipFor = (n: number) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

let setupIp = 1 << 20; // setup traffic uses its own client addresses, away from the measured pool

/** One request of a bench's set-up (sign-ups, sign-ins, token grants), from its own client address; the body as JSON when it is JSON. */
export async function setupCall(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + route, {
    method,
    headers: {
      "x-forwarded-for": ipFor(setupIp++),
      ...(body === undefined ? {} : { "content-type": "application/json", origin: base }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (an SSE answer)
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A Markdown table: first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => "| " + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  return [line(rows[0]!), "|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|", ...rows.slice(1).map(line)].join("\n");
}

export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

// ---------------------------------------------------------------------------
// The server as a child process

export interface ServerProcess {
  label: string;
  base: string;
  child: ChildProcess;
  /** The last lines it printed (for error messages). */
  log: string[];
}

/**
 * Environment of a benchmarked server: production mode, our settings over everything a local
 * `.env` could set to point it at real services (set, empty = unset).
 */
export function serverEnv(base: string, port: number, overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    BETTER_AUTH_URL: base,
    ALLOW_INSECURE_HTTP: "true",
    REQUIRE_EMAIL_VERIFICATION: "false",
    // The bench sends X-Forwarded-For from a pool of client addresses (see `ipFor`), as a
    // reverse proxy would: per-IP limits then see many clients, not one loopback address.
    TRUSTED_PROXIES: "127.0.0.1",
    LOG_LEVEL: "warn",
    SKIP_WEB_BUILD: "true",
    DATABASE_URL: "",
    REDIS_URL: "",
    SMTP_URL: "",
    // No mail leaves the bench: production needs this opt-in to write it to the outbox.
    ALLOW_OUTBOX_EMAIL: "true",
    RESEND_API_KEY: "",
    OPENAI_API_KEY: "",
    ADMIN_EMAILS: "",
    TRUSTED_ORIGINS: "",
    GITHUB_CLIENT_ID: "",
    GITHUB_CLIENT_SECRET: "",
    GOOGLE_CLIENT_ID: "",
    GOOGLE_CLIENT_SECRET: "",
    ...overrides,
  };
}

/**
 * Start `src/server/main.ts` (pinned to `cpu` when given) and wait until it answers /health.
 * `register` sees the process at once, so a failing start is still stopped on exit.
 */
export async function startServerProcess(opts: {
  label: string;
  port: number;
  env: NodeJS.ProcessEnv;
  cpu?: number;
  nodeArgs?: string[];
  register?: (s: ServerProcess) => void;
}): Promise<ServerProcess> {
  const base = `http://127.0.0.1:${opts.port}`;
  const nodeArgs = ["--import", "tsx", ...(opts.nodeArgs ?? []), "src/server/main.ts"];
  const [cmd, args] = opts.cpu !== undefined ? ["taskset", ["-c", String(opts.cpu), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(cmd, args as string[], { cwd: ROOT, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  const server: ServerProcess = { label: opts.label, base, child, log: [] };
  opts.register?.(server);
  const keep = (chunk: Buffer) => {
    server.log.push(chunk.toString());
    if (server.log.length > 200) server.log.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${opts.label}: server exited with ${child.exitCode}:\n${server.log.join("")}`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${opts.label}: server did not answer /health within 90 s:\n${server.log.join("")}`);
}

export async function stopServerProcess(s: ServerProcess): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once("exit", () => resolve()));
  s.child.kill("SIGTERM"); // graceful: lets --cpu-prof write its profile
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}
