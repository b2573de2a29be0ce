/**
 * End-to-end harness: the REAL server as a child process (`npx tsx src/server/main.ts`) on a free
 * port, a fresh DATA_DIR (SQLite), a real SMTP listener receiving its mail, and headless Chromium
 * driven by playwright-core.
 *
 *   const app = await startServer();          // waits for GET /ready
 *   const browser = await launchBrowser();
 *   const { context, page } = await app.device(browser);   // one "device": own cookies, own IP
 *   await page.goto("/");
 *   await axeCheck(page, "home");
 *   await screenshot(page, "home");
 *   const m = await app.mail.waitFor(email, { subject: /verify/i });
 *   await page.goto(app.mail.linkFrom(m, "/api/auth/verify-email"));
 *
 * Each device sends `X-Forwarded-For: <its own address>` and the server trusts loopback as a proxy
 * (TRUSTED_PROXIES), so every device is a distinct client IP, as real readers are. Rate limits
 * stay on (RATE_LIMIT default); this only keeps one test's requests from spending another's budget.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { freePort } from "../support/free-port.ts";
import { startMailCatcher, type MailCatcher } from "../support/smtp.ts";
import { sleep } from "../support/time.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCREENSHOT_DIR = path.join(REPO_ROOT, "docs/screenshots");
/**
 * The suite's own build of the web app (WEB_DIST_DIR for its servers), made by global-setup.ts.
 * Not dist/web: a developer's `npm start` or `vite build` empties that folder while it builds,
 * and a page loaded at that moment would read "not built".
 */
export const E2E_WEB_DIR = path.join(REPO_ROOT, "dist/e2e-web");

/** A passphrase the policy accepts for any test user (long, not common, not about the user). */
export const STRONG_PASSWORD = "violet kettle drums at midnight";

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 360, height: 740 } as const;

const READY_TIMEOUT_MS = Number(process.env.E2E_READY_TIMEOUT_MS ?? 120_000);

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

export interface E2EServer {
  /** http://localhost:<port> — also BETTER_AUTH_URL, so links in mails point here. */
  url: string;
  port: number;
  dataDir: string;
  mail: MailCatcher;
  /** Server stdout+stderr so far (for failure messages). */
  logs(): string;
  /** A new browser context ("device") with its own cookie jar and client IP, and a page in it. */
  device(browser: Browser, opts?: DeviceOptions): Promise<{ context: BrowserContext; page: Page; ip: string }>;
  /** A user created and verified over HTTP (sign-up + the emailed link), not signed in anywhere. */
  createVerifiedUser(opts?: { name?: string; email?: string; password?: string }): Promise<TestUser>;
  stop(): Promise<void>;
}

export interface DeviceOptions {
  viewport?: { width: number; height: number };
  /** Client IP this device appears from (default: a fresh one). */
  ip?: string;
  colorScheme?: "light" | "dark" | "no-preference";
}

export interface TestUser {
  name: string;
  email: string;
  password: string;
}

let ipSeq = 0;
/** A distinct documentation-range (TEST-NET-3) address per device. */
export function nextIp(): string {
  ipSeq++;
  return `203.0.${113 + ((ipSeq >> 8) & 1)}.${ipSeq & 255 || 1}`;
}

let emailSeq = 0;
export function uniqueEmail(prefix = "reader"): string {
  return `${prefix}.${Date.now().toString(36)}${(++emailSeq).toString(36)}@example.com`;
}

/** Start the server (see the file comment); `extraEnv` overrides any variable it sets. */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<E2EServer> {
  // freePort() releases the port before the server binds it: another process may take it first.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(extraEnv);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes("EADDRINUSE")) throw err;
    }
  }
}

async function startServerOnce(extraEnv: Record<string, string>): Promise<E2EServer> {
  const mail = await startMailCatcher();
  const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-e2e-"));
  const port = await freePort();
  const url = `http://localhost:${port}`;

  const env: Record<string, string | undefined> = { ...process.env };
  // Nothing from the developer's shell or vitest may point the server elsewhere.
  for (const k of ["DATABASE_URL", "REDIS_URL", "RESEND_API_KEY", "RESEND_BASE_URL", "HOST", "TRUSTED_ORIGINS", "ADMIN_EMAILS", "OPENAI_API_KEY", "OPENAI_BASE_URL", "VITEST", "VITEST_WORKER_ID", "VITEST_POOL_ID"]) {
    delete env[k];
  }
  Object.assign(env, {
    NODE_ENV: "development",
    PORT: String(port),
    DATA_DIR: dataDir,
    BETTER_AUTH_URL: url,
    BETTER_AUTH_SECRET: randomBytes(30).toString("base64url"), // 40 chars
    SMTP_URL: mail.url,
    EMAIL_FROM: "AI Book <no-reply@example.com>",
    LOG_LEVEL: "warn",
    RATE_LIMIT: "on",
    REQUIRE_EMAIL_VERIFICATION: "true",
    // The browser reaches us over loopback; each device names its own address (see file comment).
    TRUSTED_PROXIES: "127.0.0.1,::1",
    // Built by global-setup.ts; the server's own build-on-start still runs (and finds it current).
    WEB_DIST_DIR: E2E_WEB_DIR,
    ...extraEnv,
  });

  let output = "";
  const proc: ChildProcess = spawn("npx", ["tsx", "src/server/main.ts"], {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: npx → tsx → node; stop() ends the whole group by its id.
    detached: true,
  });
  const append = (b: Buffer) => {
    output += b.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
    if (process.env.E2E_SERVER_LOG) process.stderr.write(b);
  };
  proc.stdout!.on("data", append);
  proc.stderr!.on("data", append);
  let exited: { code: number | null; signal: string | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    proc.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const stop = async () => {
    if (!exited && proc.pid) {
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-proc.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }, 8000);
      await exitPromise;
      clearTimeout(killer);
    }
    await mail.close();
    rmSync(dataDir, { recursive: true, force: true });
  };

  // Wait for readiness (the first start may build the web app).
  const started = Date.now();
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`Server exited (code ${exited.code}, signal ${exited.signal}) before it was ready. Output:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - started > READY_TIMEOUT_MS) {
      await stop();
      throw new Error(`Server not ready on ${url}/ready within ${READY_TIMEOUT_MS} ms. Output:\n${output}`);
    }
    await sleep(250);
  }

  const server: E2EServer = {
    url,
    port,
    dataDir,
    mail,
    logs: () => output,
    async device(browser, opts = {}) {
      const ip = opts.ip ?? nextIp();
      const context = await browser.newContext({
        baseURL: url,
        viewport: opts.viewport ?? DESKTOP,
        colorScheme: opts.colorScheme ?? "light",
        extraHTTPHeaders: { "x-forwarded-for": ip },
        locale: "en-US",
        timezoneId: "UTC",
        reducedMotion: "reduce",
      });
      context.setDefaultTimeout(10_000);
      context.setDefaultNavigationTimeout(20_000);
      const page = await context.newPage();
      return { context, page, ip };
    },
    async createVerifiedUser(opts = {}) {
      const user: TestUser = {
        name: opts.name ?? "Ada Lovelace",
        email: opts.email ?? uniqueEmail(),
        password: opts.password ?? STRONG_PASSWORD,
      };
      const ip = nextIp();
      const headers = { "content-type": "application/json", origin: url, "x-forwarded-for": ip };
      const since = Date.now();
      const res = await fetch(`${url}/api/auth/sign-up/email`, { method: "POST", headers, body: JSON.stringify(user) });
      if (!res.ok) throw new Error(`sign-up for ${user.email} failed: ${res.status} ${await res.text()}`);
      const m = await mail.waitFor(user.email, { subject: /verif|confirm/i, since: since - 1, timeoutMs: 10_000 });
      const link = mail.linkFrom(m, "/api/auth/verify-email");
      const v = await fetch(link, { headers: { "x-forwarded-for": ip }, redirect: "manual" });
      if (v.status >= 400) throw new Error(`verifying ${user.email} failed: ${v.status} ${await v.text()}`);
      return user;
    },
    stop,
  };
  return server;
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * Collects console errors and failed same-origin requests of a page, so a failing test can say
 * what the app complained about.
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console.error: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  return { problems };
}

// ---------------------------------------------------------------------------
// Accessibility
// ---------------------------------------------------------------------------

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

/**
 * Run axe-core on the page as it is now and throw if anything serious or critical is found.
 * The source goes in through `page.evaluate`, which is not subject to the page's CSP
 * (`script-src 'self'` would refuse an inline <script>).
 */
export async function axeCheck(page: Page, label: string, opts: { include?: string } = {}): Promise<void> {
  axeSource ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== "undefined");
  if (!loaded) await page.evaluate(axeSource);
  const violations = (await page.evaluate(async (include) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(include ? { include: [include] } : document, {
      resultTypes: ["violations"],
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    });
    return result.violations;
  }, opts.include ?? null)) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length > 0) {
    throw new Error(`axe: ${bad.length} serious/critical violation(s) on "${label}" (${page.url()}):\n${formatViolations(bad)}`);
  }
}

export function formatViolations(vs: AxeViolation[]): string {
  return vs
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => {
          const summary = (n.failureSummary ?? "").split("\n").map((l) => `        ${l}`).join("\n");
          return `    - ${JSON.stringify(n.target)}\n      ${n.html.slice(0, 200)}\n${summary}`;
        })
        .join("\n");
      const more = v.nodes.length > 5 ? `\n    ... and ${v.nodes.length - 5} more` : "";
      return `  [${v.impact}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join("\n");
}

// ---------------------------------------------------------------------------
// Screenshots (committed; shown in the README)
// ---------------------------------------------------------------------------

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Let fonts and pending transitions settle so the picture is the page as a reader sees it.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.screenshot({ path: file, animations: "disabled", caret: "hide" });
  return file;
}

export { sleep };

/**
 * The devices a test opens: closed after it; on failure each page is photographed to
 * test-results/e2e/ and the browser's and the server's complaints are printed.
 *
 *   const devices = trackDevices(() => ({ app, browser }), "chat-");
 *   const { page } = await devices.device();
 *   afterEach(async ({ task }) => { const crashes = await devices.finish(task); });
 */
export function trackDevices(env: () => { app: E2EServer; browser: Browser }, prefix = "") {
  const open: { context: BrowserContext; problems: string[][] }[] = [];

  async function device(opts: DeviceOptions = {}): Promise<{ context: BrowserContext; page: Page; ip: string }> {
    const { app, browser } = env();
    const d = await app.device(browser, opts);
    const entry = { context: d.context, problems: [watchPage(d.page).problems] };
    d.context.on("page", (p) => entry.problems.push(watchPage(p).problems));
    open.push(entry);
    return d;
  }

  async function reportFailure(testName: string) {
    const dir = path.join(REPO_ROOT, "test-results/e2e");
    mkdirSync(dir, { recursive: true });
    const slug = testName.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
    let n = 0;
    for (const { context, problems } of open) {
      for (const p of context.pages()) {
        const file = path.join(dir, `${prefix}${slug}-${++n}.png`);
        await p.screenshot({ path: file, fullPage: true }).catch(() => {});
        const heading = await p.getByRole("heading", { level: 1 }).first().textContent({ timeout: 500 }).catch(() => null);
        console.error(`[e2e] page ${n}: ${p.url()} (h1: ${JSON.stringify(heading)}) → ${path.relative(REPO_ROOT, file)}`);
      }
      const all = problems.flat();
      if (all.length) console.error(`[e2e] browser problems:\n  ${all.join("\n  ")}`);
    }
    const log = env().app.logs().trim();
    if (log) console.error(`[e2e] server log (tail):\n${log.slice(-4000)}`);
  }

  /** After each test: report a failure, close every device; returns the pages' uncaught errors. */
  async function finish(task: { name: string; result?: { state?: string } }): Promise<string[]> {
    if (task.result?.state === "fail") await reportFailure(task.name);
    const crashes = open.flatMap((d) => d.problems.flat()).filter((p) => p.startsWith("pageerror"));
    for (const { context } of open.splice(0)) await context.close().catch(() => {});
    return crashes;
  }

  return { device, finish };
}

/** Every session of `email` signed in `minutes` ago, in the server's own SQLite file (as that many minutes would). */
export function ageSessions(app: E2EServer, email: string, minutes: number): void {
  const db = new Database(path.join(app.dataDir, "aibook.db"));
  try {
    const at = new Date(Date.now() - minutes * 60_000).toISOString();
    db.prepare('update "session" set "createdAt" = ? where "userId" = (select "id" from "user" where "email" = ?)').run(at, email);
  } finally {
    db.close();
  }
}

/**
 * One e2e file's life: the server (`env` added to its environment) and Chromium started before
 * its tests, each test's devices closed after it (see trackDevices; an uncaught error in a page
 * fails the test), both stopped at the end.
 *
 *   const suite = e2eFile("staff-", { ADMIN_EMAILS: admin.email });
 *   const { page } = await suite.device();     // suite.app.url, suite.app.mail
 */
export function e2eFile(prefix: string, env: Record<string, string> = {}) {
  let app: E2EServer | undefined;
  let browser: Browser | undefined;
  const devices = trackDevices(() => ({ app: app!, browser: browser! }), prefix);
  beforeAll(async () => {
    [app, browser] = await Promise.all([startServer(env), launchBrowser()]);
  });
  afterEach(async ({ task }) => {
    const crashes = await devices.finish(task);
    expect(crashes, "uncaught errors in the page").toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  return {
    get app(): E2EServer {
      if (!app) throw new Error("the server is not started yet (use suite.app inside a hook or a test)");
      return app;
    },
    device: devices.device,
  };
}
