/**
 * Configuration: defaults, the development secret, one clear line per bad value, and what
 * production refuses to start with. Ends with the real entry point refusing to start.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./index.ts";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const STRONG_SECRET = "q8Vn2xLr7ZtK4mWp9sHc3bYf6gJd1aNe5uQo0iRk";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "aibook-config-"));
  dirs.push(d);
  return d;
}

/** The ConfigError thrown by loadConfig (fails the test if none is thrown). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: tempDir(), ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const production = (env: Record<string, string> = {}) => ({
  NODE_ENV: "production",
  BETTER_AUTH_SECRET: STRONG_SECRET,
  BETTER_AUTH_URL: "https://books.example",
  SMTP_URL: "smtp://127.0.0.1:2525",
  ...env,
});

describe("loadConfig defaults", () => {
  it("port 7860, SQLite under DATA_DIR, localhost base URL, rate limiting on", () => {
    const dataDir = tempDir();
    const c = loadConfig({ DATA_DIR: dataDir });
    expect(c.port).toBe(7860);
    expect(c.production).toBe(false);
    expect(c.host).toBe("127.0.0.1");
    expect(c.dataDir).toBe(path.resolve(dataDir));
    expect(c.database).toEqual({ kind: "sqlite", file: path.join(path.resolve(dataDir), "aibook.db") });
    expect(c.baseURL).toBe("http://localhost:7860");
    expect(c.secureCookies).toBe(false);
    expect(c.rateLimit).toBe(true);
    expect(c.env.REQUIRE_EMAIL_VERIFICATION).toBe(true);
    expect(c.env.PASSWORD_MIN_LENGTH).toBe(8);
    expect(c.warnings).toEqual([]);
  });

  it("empty values count as unset (a `FOO=` line in .env)", () => {
    const c = loadConfig({ DATA_DIR: tempDir(), PORT: "", DATABASE_URL: "", REDIS_URL: "" });
    expect(c.port).toBe(7860);
    expect(c.database.kind).toBe("sqlite");
  });

  it("generates the development secret once into DATA_DIR/dev-secret (mode 0600) and reuses it", () => {
    const dataDir = path.join(tempDir(), "not-yet-created");
    const first = loadConfig({ DATA_DIR: dataDir });
    const file = path.join(dataDir, "dev-secret");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o077).toBe(0);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, "utf8").trim()).toBe(first.secret);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.secret).toBe(first.secret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Another data dir gets another secret.
    expect(loadConfig({ DATA_DIR: tempDir() }).secret).not.toBe(first.secret);
  });

  it("a given secret is used as is and no dev-secret file is written", () => {
    const dataDir = tempDir();
    expect(loadConfig({ DATA_DIR: dataDir, BETTER_AUTH_SECRET: STRONG_SECRET }).secret).toBe(STRONG_SECRET);
    expect(existsSync(path.join(dataDir, "dev-secret"))).toBe(false);
  });
});

describe("bad values", () => {
  it("each bad value gives one clear line naming the variable, all listed together", () => {
    const problems = problemsOf({ PORT: "abc", REDIS_URL: "http://x", RATE_LIMIT: "maybe", PASSWORD_MIN_LENGTH: "4" });
    expect(problems).toHaveLength(4);
    const line = (name: string) => {
      const found = problems.filter((p) => p.startsWith(`${name}: `));
      expect(found, `${name} in ${JSON.stringify(problems)}`).toHaveLength(1);
      expect(found[0]).not.toContain("\n");
      return found[0]!;
    };
    // Regression: these used to read "expected number, received NaN" and "Invalid URL" (for a valid http URL).
    expect(line("PORT")).toMatch(/1 to 65535/);
    expect(line("REDIS_URL")).toMatch(/redis:\/\//);
    expect(line("RATE_LIMIT")).toMatch(/"on".*"off"/);
    expect(line("PASSWORD_MIN_LENGTH")).toMatch(/8 to 64/);

    const err = (() => {
      try {
        loadConfig({ DATA_DIR: tempDir(), PORT: "abc", RATE_LIMIT: "maybe" });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.message.split("\n")).toEqual([
      "Invalid configuration:",
      expect.stringMatching(/^ {2}- PORT: /),
      expect.stringMatching(/^ {2}- RATE_LIMIT: /),
    ]);
  });

  it("does not echo the value of a bad variable (it may hold a password)", () => {
    const problems = problemsOf({ SMTP_URL: "http://user:hunter2-secret@mail.example" });
    expect(problems).toEqual([expect.stringMatching(/^SMTP_URL: .*smtp:\/\//)]);
    expect(problems.join()).not.toContain("hunter2");
  });

  it("PORT out of range and non-integers are refused", () => {
    expect(problemsOf({ PORT: "0" })).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ PORT: "70000" })).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ PORT: "80.5" })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it("DATABASE_URL: postgres:// and postgresql:// are PostgreSQL, a path is SQLite, mysql:// is an error", () => {
    const url = "postgres://aibook:pw@db.internal:5432/aibook";
    expect(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: url }).database).toEqual({ kind: "postgres", url });
    expect(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: "postgresql://h/db" }).database.kind).toBe("postgres");
    expect(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: "/var/lib/aibook/x.db" }).database).toEqual({
      kind: "sqlite",
      file: "/var/lib/aibook/x.db",
    });
    expect(loadConfig({ DATA_DIR: tempDir(), DATABASE_URL: "file:/tmp/y.db" }).database).toEqual({ kind: "sqlite", file: "/tmp/y.db" });
    const problems = problemsOf({ DATABASE_URL: "mysql://u:pw@h/db" });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL: .*postgres:\/\//)]);
    expect(problems[0]).not.toContain("pw@");
  });

  it("OAuth client id and secret come in pairs", () => {
    expect(problemsOf({ GITHUB_CLIENT_ID: "abc" })).toEqual([expect.stringMatching(/^GITHUB_CLIENT_ID\/GITHUB_CLIENT_SECRET: /)]);
  });
});

describe("production refusals", () => {
  it("accepts a complete https configuration with no warnings", () => {
    const c = loadConfig({ DATA_DIR: tempDir(), ...production() });
    expect(c.production).toBe(true);
    expect(c.secureCookies).toBe(true);
    expect(c.host).toBe("0.0.0.0");
    expect(c.baseURL).toBe("https://books.example");
    expect(c.warnings).toEqual([]);
  });

  it("refuses a missing secret, and never falls back to a generated one", () => {
    const dataDir = tempDir();
    expect(() => loadConfig({ DATA_DIR: dataDir, ...production({ BETTER_AUTH_SECRET: "" }) })).toThrow(ConfigError);
    expect(problemsOf(production({ BETTER_AUTH_SECRET: "" }))).toEqual([expect.stringMatching(/^BETTER_AUTH_SECRET: required in production/)]);
    expect(existsSync(path.join(dataDir, "dev-secret"))).toBe(false);
  });

  it.each([
    ["a changeme secret", "changeme-changeme-changeme-changeme-0123456789"],
    ["a short secret", "Zx8v1Kq9LmN3pR7tW2yB5cD0fG4hJ6k"],
    ["a repetitive secret", "a".repeat(64)],
    ["a default-looking secret", "better-auth-secret-123456789012345678901234567890"],
  ])("refuses %s", (_label, secret) => {
    expect(problemsOf(production({ BETTER_AUTH_SECRET: secret }))).toEqual([expect.stringMatching(/^BETTER_AUTH_SECRET: too weak/)]);
  });

  it("refuses a missing BETTER_AUTH_URL", () => {
    expect(problemsOf(production({ BETTER_AUTH_URL: "" }))).toEqual([expect.stringMatching(/^BETTER_AUTH_URL: required in production/)]);
  });

  it("refuses an http BETTER_AUTH_URL unless ALLOW_INSECURE_HTTP=true, which then warns", () => {
    expect(problemsOf(production({ BETTER_AUTH_URL: "http://books.example" }))).toEqual([
      expect.stringMatching(/^BETTER_AUTH_URL: must be https in production/),
    ]);
    const c = loadConfig({ DATA_DIR: tempDir(), ...production({ BETTER_AUTH_URL: "http://books.example", ALLOW_INSECURE_HTTP: "true" }) });
    expect(c.secureCookies).toBe(false);
    expect(c.warnings).toEqual([expect.stringMatching(/^ALLOW_INSECURE_HTTP=true: /)]);
  });

  it("lists every production problem at once", () => {
    const problems = problemsOf({ NODE_ENV: "production", PORT: "abc" });
    // PORT fails schema validation first: the operator sees that, then the production checks.
    expect(problems).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([
      expect.stringMatching(/^BETTER_AUTH_SECRET: /),
      expect.stringMatching(/^BETTER_AUTH_URL: /),
      expect.stringMatching(/^SMTP_URL or RESEND_API_KEY: /),
    ]);
  });

  it("ASVS 16.2.5: production without SMTP_URL or RESEND_API_KEY refuses to start, unless ALLOW_OUTBOX_EMAIL=true opts in (with a warning)", () => {
    expect(problemsOf(production({ SMTP_URL: "" }))).toEqual([
      expect.stringMatching(/^SMTP_URL or RESEND_API_KEY: one is required in production.*ALLOW_OUTBOX_EMAIL=true/),
    ]);
    expect(() => loadConfig({ DATA_DIR: tempDir(), ...production({ SMTP_URL: "", RESEND_API_KEY: "re_123" }) })).not.toThrow();
    const c = loadConfig({ DATA_DIR: tempDir(), ...production({ SMTP_URL: "", ALLOW_OUTBOX_EMAIL: "true" }) });
    expect(c.warnings).toEqual([expect.stringMatching(/^ALLOW_OUTBOX_EMAIL=true: .*nobody receives them/)]);
    // Development keeps the outbox without a word.
    expect(loadConfig({ DATA_DIR: tempDir() }).warnings).toEqual([]);
  });

  it("development only warns about a weak secret", () => {
    const c = loadConfig({ DATA_DIR: tempDir(), BETTER_AUTH_SECRET: "changeme" });
    expect(c.secret).toBe("changeme");
    expect(c.warnings).toEqual([expect.stringMatching(/BETTER_AUTH_SECRET is weak/)]);
  });
});

describe("the real entry point", () => {
  it("npx tsx src/server/main.ts in production without a secret exits non-zero with the BETTER_AUTH_SECRET line, no stack trace", async () => {
    const dataDir = tempDir();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "production",
      DATA_DIR: dataDir,
      // Empty counts as unset, and a .env file (if any) never overrides a variable that is present.
      BETTER_AUTH_SECRET: "",
      BETTER_AUTH_URL: "https://books.example",
      SMTP_URL: "smtp://127.0.0.1:2525",
      DATABASE_URL: "",
    };
    delete env.PORT; // an inherited PORT must not matter
    const result = await promisify(execFile)("npx", ["tsx", "src/server/main.ts"], { cwd: ROOT, env, timeout: 30_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
    );
    expect(result.code).not.toBe(0);
    expect(typeof result.code).toBe("number");
    const output = `${result.stdout}\n${result.stderr}`
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("npm warn"));
    expect(output).toEqual(["Invalid configuration:", expect.stringMatching(/^ {2}- BETTER_AUTH_SECRET: required in production/)]);
    expect(output.join("\n")).not.toMatch(/\bat .+:\d+|Error:|node:internal/);
    expect(existsSync(path.join(dataDir, "dev-secret"))).toBe(false);
  }, 30_000);
});
