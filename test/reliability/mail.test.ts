/**
 * Nothing a reader was promised by mail is lost (email/mail-outbox.ts), with real server
 * processes, a real SMTP listener and real databases:
 *
 * 1. SQLite: `kill -9` right after a sign-up is answered (the SMTP listener down, so the mail
 *    cannot have left), restart: the verification mail arrives and its link works.
 * 2. PostgreSQL, two instances: the SMTP listener down for 30 s while readers sign up on both;
 *    answers do not wait on mail; `npm run mail -- status` shows the waiting mails without a
 *    link or an address; once the listener is back, every mail arrives, each exactly once.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { createTestPgDatabase } from "../support/postgres.ts";
import { startMailCatcher, type MailCatcher } from "../support/smtp.ts";
import { STRONG_PASSWORD, uniqueEmail } from "../support/instance.ts";
import { startServer, type ServerProcess } from "../support/server-process.ts";
import { sleep } from "../support/time.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The SMTP listener's port, with nothing listening on it yet: the mail server is down. */
async function downSmtp(): Promise<{ port: number; url: string; up(): Promise<MailCatcher> }> {
  const port = await freePort();
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    async up() {
      const catcher = await startMailCatcher({ port });
      cleanups.push(() => catcher.close());
      return catcher;
    },
  };
}

async function server(opts: Parameters<typeof startServer>[0]): Promise<ServerProcess> {
  const s = await startServer(opts);
  cleanups.push(() => s.stop());
  return s;
}

const MAIL_ENV = { REQUIRE_EMAIL_VERIFICATION: "true", MAIL_RETRY_BASE_SECONDS: "1" };

async function signUp(base: string, email: string) {
  const started = performance.now();
  const res = await fetch(`${base}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ name: "Mail Reader", email, password: STRONG_PASSWORD }),
  });
  await res.text();
  return { status: res.status, ms: performance.now() - started };
}

describe("the mail outbox with real processes", () => {
  it("kill -9 right after a sign-up is answered: after a restart the verification mail arrives and works", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-mail-kill-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const smtp = await downSmtp();
    const port = await freePort();
    const first = await server({ port, dataDir, smtpUrl: smtp.url, env: MAIL_ENV });
    const email = uniqueEmail("killed");
    expect((await signUp(first.base, email)).status).toBe(200);
    await first.kill9();

    const file = new SQLite(path.join(dataDir, "aibook.db"), { readonly: true });
    const waiting = file.prepare("select status, template, payload from mail_outbox").all() as { status: string; template: string; payload: string }[];
    file.close();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ template: "verify-email" });
    expect(["pending", "sending"]).toContain(waiting[0]!.status);

    const mail = await smtp.up();
    const second = await server({ port, dataDir, smtpUrl: smtp.url, env: MAIL_ENV });
    const verify = await mail.waitFor(email, { subject: /verify/i, timeoutMs: 20_000 });
    const link = mail.linkFrom(verify, "/api/auth/verify-email");
    const opened = await fetch(link.replace(/^https?:\/\/[^/]+/, second.base), { redirect: "manual" });
    expect(opened.status).toBe(302);
    const signIn = await fetch(`${second.base}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: second.base },
      body: JSON.stringify({ email, password: STRONG_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    await sleep(500);
    expect(mail.mails.filter((m) => m.to.includes(email))).toHaveLength(1);
  }, 120_000);

  it("two instances on one PostgreSQL, the SMTP listener down for 30 s: every mail arrives once it is back, each exactly once", async () => {
    const pgdb = await createTestPgDatabase();
    cleanups.push(() => pgdb.drop());
    const smtp = await downSmtp();
    const env = { ...MAIL_ENV, DATABASE_URL: pgdb.url };
    const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), "aibook-mail-pg-")));
    cleanups.push(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const [a, b] = [
      await server({ port: await freePort(), dataDir: dirs[0]!, smtpUrl: smtp.url, env }),
      await server({ port: await freePort(), dataDir: dirs[1]!, smtpUrl: smtp.url, env }),
    ];
    const downSince = Date.now();

    const emails = Array.from({ length: 30 }, (_, i) => uniqueEmail(`outage${i}`));
    const answers = await Promise.all(emails.map((email, i) => signUp((i % 2 ? a! : b!).base, email)));
    expect(answers.map((r) => r.status)).toEqual(emails.map(() => 200));
    // The answer waits for a row, never for the mail server.
    expect(Math.max(...answers.map((r) => r.ms))).toBeLessThan(5_000);
    // A reset request is answered before any work, for known and unknown addresses alike.
    for (const email of [emails[0]!, uniqueEmail("nobody")]) {
      const started = performance.now();
      const reset = await fetch(`${a!.base}/api/auth/request-password-reset`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: a!.base },
        body: JSON.stringify({ email, redirectTo: "/reset-password" }),
      });
      expect(reset.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(2_000);
    }

    await sleep(3_000); // a few tries have failed by now
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/server/email/cli.ts", "status"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: pgdb.url, DATA_DIR: dirs[0]!, BETTER_AUTH_SECRET: "x".repeat(40) },
    }).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(stdout).toMatch(/^pending \d+ {2}sending \d+ {2}sent 0 {2}failed 0/);
    expect(stdout).toMatch(/verify-email/);
    expect(stdout).toMatch(/last error: .*(ECONNREFUSED|connect)/i);
    expect(stdout).toMatch(/o\*\*\*@example\.com/); // addresses masked
    expect(stdout).not.toContain("token=");
    for (const email of emails) expect(stdout).not.toContain(email);

    await sleep(Math.max(0, 30_000 - (Date.now() - downSince)));
    const mail = await smtp.up();
    for (const email of emails) await mail.waitFor(email, { subject: /verify/i, timeoutMs: 60_000 });
    await sleep(3_000); // a second copy would arrive now
    const verifyMails = mail.mails.filter((m) => /verify/i.test(m.subject));
    expect(verifyMails.map((m) => m.to[0]).sort()).toEqual([...emails].sort());
    const resets = mail.mails.filter((m) => /reset/i.test(m.subject));
    expect(resets.map((m) => m.to[0])).toEqual([emails[0]]);
  }, 180_000);
});
