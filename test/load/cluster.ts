/**
 * The stack the load test runs against, as an operator would deploy it: one PostgreSQL, one
 * Redis, an SMTP server, two app processes in production mode, and nginx in front with TLS
 * (deploy/nginx.conf). Each part can be killed and started again.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from "node:fs";
import path from "node:path";
import { startRedisServer, type RedisTestServer } from "../support/redis.ts";
import { freePort } from "../support/free-port.ts";
import { startPgServer, type PgServer } from "../support/pg-server.ts";
import { startMailCatcher, type MailCatcher } from "../support/smtp.ts";
import { probe } from "./client.ts";
import { renderNginxConfig } from "./nginx.ts";
import { sleep } from "../support/time.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** One app instance: `node --import tsx src/server/main.ts`, so its pid is the server itself (kill -9 hits it). */
export interface AppProcess {
  name: string;
  port: number;
  /** http://127.0.0.1:<port>, bypassing nginx. */
  direct: string;
  pid(): number | undefined;
  kill9(): Promise<void>;
  /** Start it again on the same port (after kill9); resolves once /ready answers 200. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Cluster {
  /** https://127.0.0.1:<port>: nginx, and the app's BETTER_AUTH_URL. */
  url: string;
  /** The self-signed certificate nginx serves (PEM): the readers' only trusted CA. */
  ca: string;
  pg: PgServer;
  redis(): RedisTestServer;
  stopRedis(): Promise<void>;
  startRedis(): Promise<void>;
  mail: MailCatcher;
  apps: [AppProcess, AppProcess];
  /** Where logs are kept: the apps' output, nginx's access and error logs. */
  logDir: string;
  nginxAccessLog: string;
  stop(): Promise<void>;
}

async function waitReady(base: string, alive: () => boolean, output: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`app exited during start:\n${output().slice(-4000)}`);
    try {
      const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`app not ready within ${timeoutMs} ms:\n${output().slice(-4000)}`);
}

function appProcess(name: string, port: number, env: NodeJS.ProcessEnv, log: WriteStream): AppProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let recent = "";
  const alive = () => !!child && child.exitCode === null && child.signalCode === null;
  const direct = `http://127.0.0.1:${port}`;
  const app: AppProcess = {
    name,
    port,
    direct,
    pid: () => child?.pid,
    async start() {
      if (alive()) throw new Error(`${name} is already running`);
      log.write(`\n===== ${name} start ${new Date().toISOString()} =====\n`);
      const c = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
      child = c;
      exited = new Promise((resolve) => c.once("exit", () => resolve()));
      const keep = (d: Buffer) => {
        log.write(d);
        recent = (recent + d.toString()).slice(-20_000);
      };
      c.stdout!.on("data", keep);
      c.stderr!.on("data", keep);
      await waitReady(direct, alive, () => recent);
    },
    async kill9() {
      if (alive()) child!.kill("SIGKILL");
      await exited;
      log.write(`\n===== ${name} killed (SIGKILL) ${new Date().toISOString()} =====\n`);
    },
    async stop() {
      if (alive()) child!.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!done) await app.kill9();
    },
  };
  return app;
}

/** A self-signed certificate for 127.0.0.1 (P-256, one day). */
function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { cert, key };
}

export function nginxBinary(): string {
  for (const candidate of [process.env.NGINX_BIN, "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"]) {
    if (!candidate) continue;
    try {
      execFileSync(candidate, ["-v"], { stdio: "ignore" });
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error("nginx not found (apt-get install nginx, or set NGINX_BIN)");
}

export async function startCluster(opts: { webDistDir: string; logDir: string }): Promise<Cluster> {
  const nginxBin = nginxBinary();
  const tmp = mkdtempSync("/tmp/aibook-load-");
  // nginx's workers run as www-data when we are root: they must reach their temp dirs.
  chmodSync(tmp, 0o755);
  mkdirSync(opts.logDir, { recursive: true });
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(tmp, { recursive: true, force: true })];
  const stop = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => {});
  };
  try {
    const [mail, pg] = await Promise.all([startMailCatcher(), startPgServer()]);
    cleanups.push(() => mail.close(), () => pg.stop());
    let redis = await startRedisServer();
    let redisStopped = false;
    cleanups.push(() => redis.stop());

    const nginxPort = await freePort();
    const url = `https://127.0.0.1:${nginxPort}`;
    const ports = [await freePort(), await freePort()] as const;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      BETTER_AUTH_URL: url,
      BETTER_AUTH_SECRET: randomBytes(32).toString("base64url"),
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      SMTP_URL: mail.url,
      EMAIL_FROM: "AI Book <books@example.org>",
      TRUSTED_PROXIES: "127.0.0.1",
      SKIP_WEB_BUILD: "true",
      WEB_DIST_DIR: opts.webDistDir,
      LOG_LEVEL: "warn",
    };
    const appLog = createWriteStream(path.join(opts.logDir, "apps.log"));
    cleanups.push(() => new Promise<void>((resolve) => appLog.end(resolve)));
    const apps = (["A", "B"] as const).map((name, i) => {
      const dataDir = path.join(tmp, `app-${name}`);
      mkdirSync(dataDir);
      return appProcess(name, ports[i]!, { ...env, DATA_DIR: dataDir }, appLog);
    }) as [AppProcess, AppProcess];
    cleanups.push(() => apps[0].kill9(), () => apps[1].kill9());
    // One after the other: the first migrates the empty database.
    await apps[0].start();
    await apps[1].start();

    const { cert, key } = selfSignedCertificate(tmp);
    const nginxAccessLog = path.join(opts.logDir, "nginx-access.log");
    const conf = renderNginxConfig(readFileSync(path.join(ROOT, "deploy/nginx.conf"), "utf8"), {
      upstreams: [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`],
      listen: `127.0.0.1:${nginxPort}`,
      redirectListen: `127.0.0.1:${await freePort()}`,
      certificate: cert,
      certificateKey: key,
      pidFile: path.join(tmp, "nginx.pid"),
      errorLog: path.join(opts.logDir, "nginx-error.log"),
      accessLog: nginxAccessLog,
      tempDir: path.join(tmp, "nginx-temp"),
    });
    const confFile = path.join(tmp, "nginx.conf");
    writeFileSync(confFile, conf);
    writeFileSync(path.join(opts.logDir, "nginx.conf"), conf);
    mkdirSync(path.join(tmp, "nginx-temp"));
    try {
      execFileSync(nginxBin, ["-t", "-q", "-p", tmp, "-c", confFile], { stdio: "pipe" });
    } catch (err) {
      throw new Error(`nginx refuses the configuration rendered from deploy/nginx.conf:\n${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
    }
    const nginx = spawn(nginxBin, ["-p", tmp, "-c", confFile, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    let nginxErr = "";
    nginx.stderr!.on("data", (d: Buffer) => (nginxErr += d.toString()));
    const nginxExited = new Promise<void>((resolve) => nginx.once("exit", () => resolve()));
    cleanups.push(async () => {
      nginx.kill("SIGTERM");
      await Promise.race([nginxExited, sleep(5_000)]);
    });
    const ca = readFileSync(cert, "utf8");
    // Ready when it answers through to an instance.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxErr}`);
      if ((await probe(url, ca, "/ready")) === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx not answering through to the app: ${nginxErr}`);
      await sleep(100);
    }

    return {
      url,
      ca,
      pg,
      mail,
      apps,
      logDir: opts.logDir,
      nginxAccessLog,
      redis: () => redis,
      async stopRedis() {
        redisStopped = true;
        await redis.stop();
      },
      async startRedis() {
        if (!redisStopped) return;
        redis = await startRedisServer({ port: redis.port });
        redisStopped = false;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
