/**
 * Finding 4 (ASVS 16.2.5): in production without a mail transport the server used to warn, then
 * write every verification and reset link, with the reader's address, to its log. The real entry
 * point, as an operator starts it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function start(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-prodmail-"));
  dirs.push(dataDir);
  // `node --import tsx`, not `npx tsx`: the pid is the server itself, so killing it stops the
  // server (through npx, the server outlived the test and kept its port).
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      DATA_DIR: dataDir,
      BETTER_AUTH_SECRET: "prod-mail-test-secret-0123456789-abcdefghij",
      ALLOW_INSECURE_HTTP: "true",
      SKIP_WEB_BUILD: "true",
      LOG_LEVEL: "debug",
      // Set (empty = unset): nothing from a developer's .env may point elsewhere.
      DATABASE_URL: "",
      REDIS_URL: "",
      SMTP_URL: "",
      RESEND_API_KEY: "",
      OPENAI_API_KEY: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, dataDir, output: () => output, exited };
}

describe("production mail (ASVS 16.2.5)", () => {
  it("refuses to start without SMTP_URL or RESEND_API_KEY, in one line that names the settings", async () => {
    const port = await freePort();
    const server = start({ PORT: String(port), BETTER_AUTH_URL: `http://127.0.0.1:${port}` });
    const code = await server.exited;
    expect(code).not.toBe(0);
    expect(server.output()).toMatch(/SMTP_URL or RESEND_API_KEY: one is required in production.*ALLOW_OUTBOX_EMAIL=true/);
  }, 60_000);

  it("with ALLOW_OUTBOX_EMAIL=true it starts, writes the mail to the outbox, and logs neither the link nor the address", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = start({ PORT: String(port), BETTER_AUTH_URL: base, ALLOW_OUTBOX_EMAIL: "true" });
    try {
      await expect.poll(() => fetch(`${base}/ready`).then((r) => r.status, () => 0), { timeout: 60_000, interval: 250 }).toBe(200);
      const email = "prod.reader@example.com";
      const res = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ name: "Prod Reader", email, password: "a long production passphrase" }),
      });
      expect(res.status).toBe(200);
      const outbox = path.join(server.dataDir, "outbox");
      await expect.poll(() => (readdirSync(outbox, { withFileTypes: true }).length), { timeout: 10_000 }).toBe(1);
      const eml = readFileSync(path.join(outbox, readdirSync(outbox)[0]!), "utf8");
      const token = /verify-email\?token=([A-Za-z0-9._-]+)/.exec(eml.replace(/=\r?\n/g, "").replace(/=3D/g, "="))?.[1];
      expect(token, "the mail itself carries the link").toBeTruthy();

      const log = server.output();
      expect(log).toMatch(/ALLOW_OUTBOX_EMAIL=true: emails are written to the outbox/);
      expect(log).toContain("email written to outbox");
      expect(log).toContain("p***@example.com");
      expect(log).not.toContain(email);
      expect(log).not.toContain(token!);
      expect(log).not.toMatch(/token=/);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  }, 90_000);
});
