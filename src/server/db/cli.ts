import { existsSync } from "node:fs";
import { loadConfig, ConfigError } from "../config/index.ts";
import { openDatabase } from "./index.ts";
import { migrateToLatest, migrationStatus, rollbackOne } from "./migrator.ts";

/** `npm run db -- migrate | rollback | status` */
async function main(command: string | undefined): Promise<number> {
  const config = loadConfig();
  const db = openDatabase(config.database);
  const where = config.database.kind === "sqlite" ? config.database.file : "PostgreSQL";
  try {
    switch (command) {
      case "migrate": {
        const { applied } = await migrateToLatest(db);
        console.log(applied.length ? applied.map((a) => `applied ${a}`).join("\n") : "already up to date");
        return 0;
      }
      case "rollback": {
        const { applied } = await rollbackOne(db);
        console.log(applied.length ? applied.map((a) => `rolled back ${a.replace(/^Down /, "")}`).join("\n") : "nothing to roll back");
        return 0;
      }
      case "status": {
        console.log(`database: ${where}`);
        for (const m of await migrationStatus(db)) {
          console.log(`${m.executedAt ? "applied " : "pending "} ${m.name}${m.executedAt ? `  (${m.executedAt.toISOString()})` : ""}`);
        }
        return 0;
      }
      default:
        console.error("usage: npm run db -- migrate | rollback | status");
        return 2;
    }
  } finally {
    await db.close();
  }
}

// A `.env` beside package.json is read if present, as `npm start` does; real environment variables win.
if (existsSync(".env")) process.loadEnvFile(".env");
main(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
