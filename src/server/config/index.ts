import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError, parseEnv, type Env } from "./env.ts";

export { ConfigError } from "./env.ts";

export type DatabaseConfig =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; url: string };

export interface AppConfig {
  env: Env;
  production: boolean;
  port: number;
  host: string;
  dataDir: string;
  secret: string;
  baseURL: string;
  secureCookies: boolean;
  trustedOrigins: string[];
  database: DatabaseConfig;
  rateLimit: boolean;
  /**
   * Our faster copies of Better Auth's hot paths (sign-in, the session-cookie check, the cached
   * router); off: every request goes through Better Auth's own code (auth/better-auth/).
   */
  fastPaths: boolean;
  /** Warnings to log once at start (insecure opt-ins). */
  warnings: string[];
}

const MIN_SECRET_LENGTH = 32;

function resolveDatabase(env: Env, dataDir: string): DatabaseConfig {
  const url = env.DATABASE_URL;
  if (!url) return { kind: "sqlite", file: path.join(dataDir, "aibook.db") };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  if (url.startsWith("file:")) return { kind: "sqlite", file: url.slice(5) };
  if (url === ":memory:" || !url.includes("://")) return { kind: "sqlite", file: url };
  throw new ConfigError([`DATABASE_URL: expected a SQLite file path or a postgres:// URL, got a ${url.split(":")[0]}: URL`]);
}

/** A development secret generated once and kept under the data dir (mode 0600). */
function developmentSecret(dataDir: string): string {
  const file = path.join(dataDir, "dev-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}

function looksWeak(secret: string): boolean {
  if (secret.length < MIN_SECRET_LENGTH) return true;
  const distinct = new Set(secret).size;
  return distinct < 10 || /^(changeme|secret|password|better-auth-secret)/i.test(secret);
}

/**
 * Load and check the whole configuration. Throws ConfigError listing every problem,
 * so the operator fixes them in one go.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const env = parseEnv(source);
  const problems: string[] = [];
  const warnings: string[] = [];
  const production = env.NODE_ENV === "production";
  const dataDir = path.resolve(env.DATA_DIR);
  const baseURL = (env.BETTER_AUTH_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, "");
  const https = baseURL.startsWith("https://");

  let secret = env.BETTER_AUTH_SECRET;
  if (production) {
    if (!secret) problems.push("BETTER_AUTH_SECRET: required in production (generate one with `openssl rand -base64 32`)");
    else if (looksWeak(secret)) problems.push(`BETTER_AUTH_SECRET: too weak; use at least ${MIN_SECRET_LENGTH} random characters`);
    if (!env.BETTER_AUTH_URL) problems.push("BETTER_AUTH_URL: required in production (the public https URL of the site)");
    else if (!https && !env.ALLOW_INSECURE_HTTP) {
      problems.push("BETTER_AUTH_URL: must be https in production (set ALLOW_INSECURE_HTTP=true only for a trial on a private network)");
    }
  } else if (secret && looksWeak(secret)) {
    warnings.push(`BETTER_AUTH_SECRET is weak; production would refuse it`);
  }
  if (!https && env.ALLOW_INSECURE_HTTP && production) {
    warnings.push("ALLOW_INSECURE_HTTP=true: cookies are sent without Secure over plain http; use this only on a private network");
  }
  if (env.RATE_LIMIT === "off") warnings.push("RATE_LIMIT=off: abuse protection is disabled");
  if (!env.STAFF_REQUIRE_2FA) warnings.push("STAFF_REQUIRE_2FA=false: moderators and admins can act with a password alone");
  if (!env.REQUIRE_EMAIL_VERIFICATION) warnings.push("REQUIRE_EMAIL_VERIFICATION=false: accounts can sign in without proving they own their address");
  if (Boolean(env.GITHUB_CLIENT_ID) !== Boolean(env.GITHUB_CLIENT_SECRET)) problems.push("GITHUB_CLIENT_ID/GITHUB_CLIENT_SECRET: set both or neither");
  if (Boolean(env.GOOGLE_CLIENT_ID) !== Boolean(env.GOOGLE_CLIENT_SECRET)) problems.push("GOOGLE_CLIENT_ID/GOOGLE_CLIENT_SECRET: set both or neither");
  if (env.OPENAI_API_KEY && !env.OPENAI_MODEL) problems.push("OPENAI_MODEL: required when OPENAI_API_KEY is set (e.g. gpt-4o-mini)");
  if (production && !env.SMTP_URL && !env.RESEND_API_KEY) {
    // Readers would never get their verification or reset links, and (before) the links went to the log.
    if (env.ALLOW_OUTBOX_EMAIL) {
      warnings.push("ALLOW_OUTBOX_EMAIL=true: emails are written to the outbox under DATA_DIR and nobody receives them");
    } else {
      problems.push(
        "SMTP_URL or RESEND_API_KEY: one is required in production, or readers never receive their links (ALLOW_OUTBOX_EMAIL=true writes mail to DATA_DIR/outbox instead, for a trial)",
      );
    }
  }

  let database: DatabaseConfig | undefined;
  try {
    database = resolveDatabase(env, dataDir);
  } catch (e) {
    if (e instanceof ConfigError) problems.push(...e.problems);
    else throw e;
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems);
  if (!secret) secret = developmentSecret(dataDir);

  return {
    env,
    production,
    port: env.PORT,
    host: env.HOST ?? (production ? "0.0.0.0" : "127.0.0.1"),
    dataDir,
    secret,
    baseURL,
    secureCookies: https,
    trustedOrigins: [baseURL, ...env.TRUSTED_ORIGINS],
    database,
    rateLimit: env.RATE_LIMIT === "on",
    fastPaths: env.FAST_PATHS === "on",
    warnings,
  };
}
