/**
 * Lifecycle of a throw-away PostgreSQL server for the test run.
 *
 * Used only from the vitest global setup (main process): it must not import
 * `vitest` itself. Test files use `./postgres.ts` instead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { sleep } from "./time.ts";

export interface PgServer {
  /** e.g. postgres://postgres@127.0.0.1:54321/postgres */
  url: string;
  port: number;
  /** Fast shutdown, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /**
   * Fast shutdown (clients see 57P01, then ECONNREFUSED), stay down `downtimeMs`, start again on
   * the same port and data directory; resolves once it accepts connections again.
   */
  restart(opts?: { downtimeMs?: number }): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';

/** Newest `/usr/lib/postgresql/<ver>/bin` that has initdb + postgres. */
export function findPgBinDir(): string {
  const override = process.env.TEST_PG_BIN;
  if (override) return override;
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(PG_ROOT);
  } catch {
    // handled below
  }
  const candidates = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(PG_ROOT, v, 'bin'))
    .filter((bin) => fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'postgres')));
  const first = candidates[0];
  if (!first) {
    throw new Error(
      `PostgreSQL server binaries not found under ${PG_ROOT}/<version>/bin. ` +
        'Install them (apt-get install postgresql), set TEST_PG_URL to an existing server, ' +
        'or set TEST_PG=off to run without PostgreSQL (PG tests will then fail).',
    );
  }
  return first;
}

interface RunAs {
  uid: number;
  gid: number;
}

/** When running as root, PostgreSQL refuses to run: use the `postgres` system user. */
function resolveRunAs(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('bad id output');
    return { uid, gid };
  } catch (err) {
    throw new Error(
      'Running as root, but there is no `postgres` system user to run PostgreSQL as ' +
        `(initdb refuses to run as root): ${(err as Error).message}`,
    );
  }
}

function childEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C',
    LC_ALL: 'C',
    TZ: process.env.TZ ?? 'UTC',
  };
}

function runToCompletion(cmd: string, args: string[], cwd: string, runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runAs ?? {}),
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(cmd)} failed (code ${code}, signal ${signal}):\n${out}`));
    });
  });
}

function readTail(file: string, max = 8000): string {
  try {
    const s = fs.readFileSync(file, 'utf8');
    return s.length > max ? s.slice(-max) : s;
  } catch {
    return '';
  }
}


function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * A tiny detached process that stops the server and removes its temp dir if
 * this process dies without running teardown (e.g. SIGKILL). Killed by stop().
 */
function startWatchdog(pgPid: number, tmp: string): ChildProcess | undefined {
  const script = `
    const [parent, pgPid, tmp] = process.argv.slice(1);
    const alive = (pid) => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
    setInterval(() => {
      if (alive(parent)) return;
      try { process.kill(Number(pgPid), 'SIGQUIT'); } catch {}
      const t0 = Date.now();
      const done = setInterval(() => {
        if (alive(pgPid) && Date.now() - t0 < 10000) return;
        try { process.kill(Number(pgPid), 'SIGKILL'); } catch {}
        try { require('node:fs').rmSync(tmp, { recursive: true, force: true }); } catch {}
        clearInterval(done);
        process.exit(0);
      }, 200);
    }, 1000);
  `;
  try {
    const wd = spawn(process.execPath, ['-e', script, String(process.pid), String(pgPid), tmp], {
      detached: true,
      stdio: 'ignore',
    });
    wd.on('error', () => {});
    wd.unref();
    return wd;
  } catch {
    return undefined;
  }
}

/** Start a fresh PostgreSQL server in a temp dir. Ready to accept connections on return. */
export async function startPgServer(opts: { readyTimeoutMs?: number } = {}): Promise<PgServer> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const bin = findPgBinDir();
  const runAs = resolveRunAs();

  // As root the server runs as `postgres`, which must be able to reach the dir: use /tmp, not a
  // possibly private $TMPDIR. A short path also keeps the unix socket path under its length limit.
  const tmpBase = runAs && fs.existsSync('/tmp') ? '/tmp' : os.tmpdir();
  const tmp = fs.mkdtempSync(path.join(tmpBase, 'aibook-pg-'));
  const cleanupTmp = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    if (runAs) fs.chownSync(tmp, runAs.uid, runAs.gid);
    const dataDir = path.join(tmp, 'data');
    await runToCompletion(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C', '--no-instructions'],
      tmp,
      runAs,
    );

    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await launch(bin, tmp, dataDir, runAs, readyTimeoutMs, cleanupTmp);
      } catch (err) {
        lastErr = err;
        // Port race (someone grabbed the port between freePort() and bind): retry.
        if (!/could not (bind|create listen)|already in use/i.test(String((err as Error).message))) break;
      }
    }
    throw lastErr;
  } catch (err) {
    cleanupTmp();
    throw err;
  }
}

async function launch(
  bin: string,
  tmp: string,
  dataDir: string,
  runAs: RunAs | undefined,
  readyTimeoutMs: number,
  cleanupTmp: () => void,
): Promise<PgServer> {
  const port = await freePort();
  const logFile = path.join(tmp, `postgres-${port}.log`);
  let spawnError: Error | undefined;
  const spawnPostgres = () => {
    const logFd = fs.openSync(logFile, 'a');
    const proc = spawn(
      path.join(bin, 'postgres'),
      [
        '-D', dataDir,
        '-p', String(port),
        '-k', tmp,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
        '-c', 'max_connections=200',
      ],
      { cwd: tmp, env: childEnv(), stdio: ['ignore', logFd, logFd], ...(runAs ?? {}) },
    );
    fs.closeSync(logFd);
    spawnError = undefined;
    proc.once('error', (e) => (spawnError = e));
    return proc;
  };
  let child = spawnPostgres();

  // Safety net: if the main process exits without teardown, do not leave the server behind.
  const onProcessExit = () => {
    try {
      child.kill('SIGQUIT');
    } catch {
      // ignore
    }
    try {
      cleanupTmp();
    } catch {
      // ignore
    }
  };
  process.once('exit', onProcessExit);
  let watchdog = child.pid !== undefined ? startWatchdog(child.pid, tmp) : undefined;

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.off('exit', onProcessExit);
      watchdog?.kill();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown
        if (!(await waitForExit(child, 15_000))) {
          child.kill('SIGQUIT'); // immediate shutdown
          if (!(await waitForExit(child, 5_000))) {
            child.kill('SIGKILL');
            await waitForExit(child, 5_000);
          }
        }
      }
      cleanupTmp();
    })();
    return stopped;
  };

  const waitReady = async (): Promise<void> => {
    const deadline = Date.now() + readyTimeoutMs;
    let lastErr: unknown;
    while (Date.now() < deadline) {
      if (spawnError) {
        await stop();
        throw new Error(`could not spawn postgres: ${spawnError.message}`);
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        const log = readTail(logFile);
        await stop();
        throw new Error(`postgres exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${log}`);
      }
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('select 1');
        await client.end();
        return;
      } catch (err) {
        lastErr = err;
        await client.end().catch(() => {});
      }
      await sleep(100);
    }
    const log = readTail(logFile);
    await stop();
    throw new Error(
      `postgres did not become ready within ${readyTimeoutMs} ms (last error: ${(lastErr as Error)?.message}):\n${log}`,
    );
  };

  const restart = async (opts: { downtimeMs?: number } = {}): Promise<void> => {
    if (stopped) throw new Error('restart after stop');
    watchdog?.kill();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown: backends are terminated (57P01)
      if (!(await waitForExit(child, 15_000))) {
        child.kill('SIGQUIT');
        await waitForExit(child, 5_000);
      }
    }
    if (opts.downtimeMs) await sleep(opts.downtimeMs);
    child = spawnPostgres();
    watchdog = child.pid !== undefined ? startWatchdog(child.pid, tmp) : undefined;
    await waitReady();
  };

  await waitReady();
  return { url, port, stop, restart };
}
