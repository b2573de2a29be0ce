/**
 * `npm run test:load`: N virtual readers (default 200 for 60 s) through nginx (deploy/nginx.conf)
 * to two app instances sharing one PostgreSQL and one Redis, while one instance is killed with
 * -9 and started again, PostgreSQL restarts and Redis is stopped for 10 s. Then checks that
 * nothing acknowledged was lost and nothing but the documented answers came back, prints the
 * figures, and exits non-zero when a check fails.
 *
 *   npm run test:load                              # 200 readers, 60 s
 *   npm run test:load -- --readers=50 --duration=20  # the CI size (also LOAD_READERS, LOAD_DURATION)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import buildWebApp from "../e2e/global-setup.ts";
import { E2E_WEB_DIR } from "../e2e/harness.ts";
import { runChecks, WINDOW_MARGIN_MS, type FaultWindow } from "./checks.ts";
import { HttpClient, Recorder } from "./client.ts";
import { ROOT, startCluster, type Cluster } from "./cluster.ts";
import { newLedger, Reader, type ReaderEnv } from "./readers.ts";
import { printReport, type RunFacts } from "./report.ts";
import { sleep } from "../support/time.ts";


function option(name: string, envName: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = arg ? arg.slice(name.length + 3) : process.env[envName];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} / ${envName}: expected a positive whole number, got ${raw}`);
  return value;
}

/** Reader i's own loopback address: nginx sees each reader as a different client. */
const readerIp = (i: number) => `127.77.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/** Run `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * The faults, one after another so each window is its own: kill -9 instance A (started again
 * after a second) at 10 % of the run, restart PostgreSQL (down 2 s) at 35 %, stop Redis for
 * 10 s at 50 %.
 */
async function injectFaults(cluster: Cluster, t0: number, durationMs: number, windows: FaultWindow[], log: (s: string) => void) {
  const now = () => performance.now() - t0;
  const at = async (fraction: number) => {
    const wait = fraction * durationMs - now();
    if (wait > 0) await sleep(wait);
  };
  const open = (kind: FaultWindow["kind"], label: string) => {
    const w: FaultWindow = { kind, label, start: now(), end: Number.POSITIVE_INFINITY };
    windows.push(w);
    log(`${(w.start / 1000).toFixed(1)} s: ${label}`);
    return w;
  };
  const close = (w: FaultWindow) => {
    w.end = now();
    log(`${(w.end / 1000).toFixed(1)} s: ${w.label} — over`);
  };

  // Each fault waits for its planned moment and for the previous one's tail to be over, so no
  // answer can be put down to the wrong fault.
  const after = async (fraction: number, previous: FaultWindow) => {
    await at(fraction);
    const wait = previous.end + WINDOW_MARGIN_MS + 1_000 - now();
    if (wait > 0) await sleep(wait);
  };

  await at(0.1);
  const kill = open("kill", "kill -9 instance A");
  await cluster.apps[0].kill9();
  await sleep(1_000);
  await cluster.apps[0].start();
  close(kill);

  await after(0.35, kill);
  const restart = open("postgres", "PostgreSQL restart");
  await cluster.pg.restart({ downtimeMs: 2_000 });
  close(restart);

  await after(0.5, restart);
  const redis = open("redis", "Redis stopped for 10 s");
  await cluster.stopRedis();
  await sleep(10_000);
  await cluster.startRedis();
  close(redis);
}

async function main() {
  const readersN = option("readers", "LOAD_READERS", 200);
  const durationS = option("duration", "LOAD_DURATION", 60);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const logDir = path.join(ROOT, "test-results/load", stamp);
  mkdirSync(logDir, { recursive: true });
  const log = (s: string) => console.log(`[load] ${s}`);

  // The web app the instances serve (the page loads): the e2e suite's build, rebuilt if stale.
  buildWebApp();
  log(`starting PostgreSQL, Redis, SMTP, two instances and nginx (logs: ${path.relative(ROOT, logDir)})`);
  const cluster = await startCluster({ webDistDir: E2E_WEB_DIR, logDir });
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await cluster.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(130));
  process.on("SIGTERM", () => void shutdown(143));

  try {
    const setupRecorder = new Recorder(performance.now());
    const book = await new HttpClient(cluster.url, "127.0.0.1", cluster.ca, setupRecorder).request("GET", "/api/v1/book", "setup");
    const slugs = (book.json?.chapters ?? []).map((c: { slug: string }) => c.slug) as string[];
    if (!slugs.length) throw new Error(`the book has no chapters: ${book.status} ${book.text.slice(0, 200)}`);

    const ledger = newLedger();
    const env: ReaderEnv = { base: cluster.url, ca: cluster.ca, recorder: setupRecorder, mail: cluster.mail, ledger, slugs, stopAt: Number.POSITIVE_INFINITY };
    const readers = Array.from({ length: readersN }, (_, i) => new Reader(i, readerIp(i), env));

    // Four in five readers have an account before the clock starts; the rest sign up during the run.
    const existing = readers.slice(0, Math.ceil(readersN * 0.8));
    const started = performance.now();
    await pool(existing, 16, (r) => r.signUp());
    const ready = existing.filter((r) => r.signedIn).length;
    log(`${ready}/${existing.length} accounts signed up and verified through the mail in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (ready < existing.length) throw new Error("set-up failed: not every account could sign up");

    const t0 = performance.now();
    const recorder = new Recorder(t0);
    env.recorder = recorder;
    for (const r of readers) r.client.recorder = recorder;
    const windows: FaultWindow[] = [];
    log(`${readersN} readers for ${durationS} s (longer if the faults need it)`);
    // New readers arrive over the first quarter of the run, across the kill -9.
    const running = readers.map((r) => r.run(durationS * 250));
    await injectFaults(cluster, t0, durationS * 1000, windows, log);
    // Run on until the planned end, and at least 5 s past the last fault (to see the recovery).
    env.stopAt = Math.max(t0 + durationS * 1000, performance.now() + 5_000);
    await Promise.all(running);
    const runSeconds = (performance.now() - t0) / 1000;
    log(`run over after ${runSeconds.toFixed(1)} s; checking`);
    for (const r of readers) r.client.close();

    const { checks, figures } = await runChecks({ cluster, ledger, readers, recorder, windows });
    const accessLog = readFileSync(cluster.nginxAccessLog, "utf8");
    const facts: RunFacts = {
      readers: readersN,
      plannedSeconds: durationS,
      runSeconds,
      samples: recorder.samples,
      windows,
      checks,
      figures,
      ledger,
      upstreams: cluster.apps.map((a) => ({ name: a.name, address: `127.0.0.1:${a.port}` })),
      accessLog,
    };
    const summary = printReport(facts);
    writeFileSync(path.join(logDir, "report.md"), summary);
    writeFileSync(path.join(logDir, "samples.json"), JSON.stringify({ windows, samples: recorder.samples }));
    const failed = checks.filter((c) => !c.ok);
    log(failed.length ? `${failed.length} check(s) FAILED (logs: ${path.relative(ROOT, logDir)})` : "all checks passed");
    await shutdown(failed.length ? 1 : 0);
  } catch (err) {
    console.error(err);
    await shutdown(2);
  }
}

void main();
