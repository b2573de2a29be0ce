import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Starts a throw-away PostgreSQL (or uses TEST_PG_URL; TEST_PG=off disables it) and provides inject("pgUrl").
    globalSetup: ["test/support/global-setup.ts"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
