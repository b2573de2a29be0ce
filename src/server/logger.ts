import pino, { type Logger } from "pino";
import type { AppConfig } from "./config/index.ts";

/** The process's logger (JSON lines on stdout) at LOG_LEVEL. */
export function createLogger(config: AppConfig): Logger {
  return pino({
    level: config.env.LOG_LEVEL,
    // Belt and braces: whatever a log call passes, these never reach the log (ASVS 16.2.5).
    redact: {
      paths: ["password", "*.password", "token", "*.token", "refresh_token", "*.refresh_token", "access_token", "secret", "*.secret", "req.headers.cookie", "req.headers.authorization"],
      censor: "[redacted]",
    },
  });
}
