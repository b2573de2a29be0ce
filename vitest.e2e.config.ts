import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: the real server as a child process, headless Chromium, a real SMTP listener.
 * `npm run test:e2e`. One fork, files one after another: each file starts its own server.
 */
export default defineConfig({
  test: {
    // Builds the web app (dist/web) once when its sources are newer than the build.
    globalSetup: ["test/e2e/global-setup.ts"],
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    // A browser flow is a story: the steps of a test depend on each other; no retries hide flakiness.
    retry: 0,
  },
});
