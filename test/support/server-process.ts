/**
 * The real server as a child process (`node --import tsx`: the pid is the server itself, so
 * kill -9 hits it and not a wrapper like npx), in test mode on 127.0.0.1 with a data dir of the
 * test's. Defaults suit the reliability tests (no rate limits, no verification); `env` overrides.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { sleep } from "./time.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const SERVER_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

export interface ServerProcess {
  child: ChildProcess;
  base: string;
  port: number;
  output(): string;
  exited: Promise<void>;
  alive(): boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServer(opts: { port: number; dataDir: string; smtpUrl: string; env?: Record<string, string> }): Promise<ServerProcess> {
  const base = `http://127.0.0.1:${opts.port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    NODE_ENV: "test",
    PORT: String(opts.port),
    HOST: "127.0.0.1",
    DATA_DIR: opts.dataDir,
    BETTER_AUTH_SECRET: SERVER_SECRET,
    BETTER_AUTH_URL: base,
    RATE_LIMIT: "off",
    REQUIRE_EMAIL_VERIFICATION: "false",
    SKIP_WEB_BUILD: "true",
    SMTP_URL: opts.smtpUrl,
    LOG_LEVEL: "warn",
    CHAT_USER_DAILY_MESSAGES: "1000000",
    ...opts.env,
  };
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const server: ServerProcess = {
    child,
    base,
    port: opts.port,
    output: () => out,
    exited,
    alive,
    async kill9() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) await server.kill9();
    },
  };
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`server exited during start (code ${child.exitCode}, signal ${child.signalCode}):\n${out}`);
    try {
      const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await server.kill9();
  throw new Error(`server not ready within 45 s:\n${out}`);
}
