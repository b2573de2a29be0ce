import { z } from "zod";

/**
 * Every setting AI Book reads from the environment, validated once at boot.
 * Names follow the ecosystem where one exists (BETTER_AUTH_*, DATABASE_URL, SMTP_URL...).
 * Documented one by one in `.env.example`.
 */
const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off"])
    .optional()
    .transform((v) => (v === undefined ? fallback : ["true", "1", "yes", "on"].includes(v)));

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const int = (fallback: number, min: number, max: number) => {
  // One clear line per bad value: zod's own "expected number, received NaN" says nothing about the range.
  const error = `expected a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).optional().default(fallback);
};

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(7860, 1, 65535),
  HOST: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATA_DIR: z.string().default("./data"),

  BETTER_AUTH_SECRET: z.string().optional(),
  BETTER_AUTH_URL: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
  TRUSTED_ORIGINS: list,
  ALLOW_INSECURE_HTTP: bool(false),

  DATABASE_URL: z.string().optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL" }).optional(),

  SMTP_URL: z.url({ protocol: /^smtps?$/, error: "expected an smtp:// or smtps:// URL" }).optional(),
  RESEND_API_KEY: z.string().min(1).optional(),
  RESEND_BASE_URL: z.url({ error: "expected a URL" }).optional(),
  EMAIL_FROM: z.string().default("AI Book <no-reply@localhost>"),
  ALLOW_OUTBOX_EMAIL: bool(false),
  MAIL_MAX_ATTEMPTS: int(10, 1, 50),
  MAIL_RETRY_BASE_SECONDS: int(5, 1, 3600),

  REQUIRE_EMAIL_VERIFICATION: bool(true),
  PASSWORD_MIN_LENGTH: int(8, 8, 64),
  ADMIN_EMAILS: list,
  STAFF_REQUIRE_2FA: bool(true),
  TRUSTED_PROXIES: list,
  RATE_LIMIT: z.enum(["on", "off"]).default("on"),
  FAST_PATHS: z.enum(["on", "off"]).default("on"),
  IPV6_RATE_LIMIT_PREFIX: int(64, 32, 128),

  ACCESS_TOKEN_TTL_SECONDS: int(900, 60, 3600),
  REFRESH_TOKEN_TTL_DAYS: int(30, 1, 365),
  REFRESH_REUSE_GRACE_SECONDS: int(10, 0, 60),
  SESSION_TTL_DAYS: int(7, 1, 90),
  SESSION_ABSOLUTE_DAYS: int(30, 1, 365),
  JWKS_ROTATION_DAYS: int(30, 1, 365),

  CHAT_MESSAGES_PER_MINUTE: int(30, 1, 1000),
  CHAT_ANONYMOUS_DAILY_MESSAGES: int(20, 0, 100_000),
  CHAT_USER_DAILY_MESSAGES: int(500, 1, 1_000_000),
  CHAT_MAX_MESSAGE_CHARS: int(4000, 100, 32_000),
  ANONYMOUS_RETENTION_DAYS: int(30, 1, 3650),
  RETENTION_SECURITY_EVENT_DAYS: int(365, 1, 3650),
  RETENTION_EXPIRED_DAYS: int(7, 0, 365),
  MAIL_LOG_RETENTION_DAYS: int(30, 1, 3650),
  MAINTENANCE_INTERVAL_MINUTES: int(10, 1, 1440),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  OPENAI_TIMEOUT_MS: int(30_000, 100, 600_000),

  BOOK_DIR: z.string().default("./content/book"),
  WEB_DIST_DIR: z.string().default("./dist/web"),
  SKIP_WEB_BUILD: bool(false),

  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse the environment; throws ConfigError with one line per bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // Treat empty strings as unset, as dotenv files commonly leave `FOO=`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`),
    );
  }
  return result.data;
}
