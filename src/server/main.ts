import { existsSync } from "node:fs";
import { serve } from "@hono/node-server";
import { ConfigError, loadConfig } from "./config/index.ts";
import { createServices } from "./services.ts";
import { createApp } from "./app.ts";
import { ensureWebBuild } from "./web/build.ts";

/** `npm start`: validate the configuration, migrate, serve. */
async function main() {
  // A `.env` beside package.json is read if present; real environment variables win.
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const services = await createServices(config);
  await ensureWebBuild({
    root: process.cwd(),
    distDir: config.env.WEB_DIST_DIR,
    logger: services.logger,
    production: config.production,
    skip: config.env.SKIP_WEB_BUILD,
  });
  const app = createApp(services);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    services.logger.info(
      { url: config.baseURL, port: info.port, database: config.database.kind, email: services.mailer.transport },
      `AI Book listening on http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${info.port}`,
    );
    // Now that we hold the port, no earlier process of this instance is alive: its unfinished
    // answers (kill -9, crash) become "interrupted", which readers can retry.
    services
      .recoverAnswers({ afterRestart: true })
      .catch((err: unknown) => services.logger.error({ err: String(err) }, "recovering unfinished answers failed"));
  });
  // Housekeeping: finish anonymous merges that failed, purge abandoned anonymous readers,
  // delete what has expired (maintenance/maintenance.ts).
  const maintenance = () =>
    services.runMaintenance().catch((err: unknown) => services.logger.error({ err: String(err) }, "maintenance failed"));
  void maintenance();
  setInterval(maintenance, config.env.MAINTENANCE_INTERVAL_MINUTES * 60_000).unref();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    services.logger.info({ signal }, "shutting down");
    server.close(() => void services.close().then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

void main();
