/**
 * vitest globalSetup: provides `pgUrl` (see test/support/postgres.ts).
 *
 * - TEST_PG_URL=postgres://...  use that server (its database is the admin db
 *                               where per-test databases are created).
 * - TEST_PG=off                 start nothing; provide '' so tests needing PG
 *                               fail with a clear error (requirePgUrl()).
 * - otherwise                   initdb + start a throw-away PostgreSQL on a free
 *                               127.0.0.1 port; stopped and removed in teardown.
 */
import type { TestProject } from "vitest/node";
import { startPgServer, type PgServer } from "./pg-server.ts";
// Pulls in the `ProvidedContext` augmentation (type-only; no runtime import of vitest here).
import type {} from "./postgres.ts";

let server: PgServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = "";
  const preset = process.env.TEST_PG_URL;
  if (preset) {
    url = preset;
  } else if (process.env.TEST_PG !== "off") {
    const started = Date.now();
    server = await startPgServer();
    url = server.url;
    if (process.env.TEST_PG_VERBOSE) console.log(`[global-setup] PostgreSQL ready at ${url} in ${Date.now() - started} ms`);
  }
  project.provide("pgUrl", url);

  return async () => {
    const s = server;
    server = undefined;
    await s?.stop();
  };
}
