import { existsSync } from "node:fs";
import { loadConfig, ConfigError } from "../config/index.ts";
import { openDatabase } from "../db/index.ts";
import { outboxStatus, retryFailed } from "./mail-outbox.ts";

const USAGE = "usage: npm run mail -- status | retry <id> | retry all";

/**
 * `npm run mail -- status | retry <id> | retry all`: the operators' view of the mail outbox.
 * `status` counts mails by status and lists those that need a look (failed first, then those
 * waiting for a retry), with the address masked; `retry` makes failed mails pending again with a
 * fresh set of tries; a running instance sends them within seconds.
 */
async function main(args: string[]): Promise<number> {
  const [command, id] = args;
  if (command !== "status" && command !== "retry") {
    console.error(USAGE);
    return 2;
  }
  if (command === "retry" && !id) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const db = openDatabase(config.database);
  try {
    if (command === "retry") {
      const n = await retryFailed(db.kysely, id === "all" ? "all" : id!);
      console.log(n ? `${n} mail${n === 1 ? "" : "s"} queued again` : `no failed mail ${id === "all" ? "" : `with id ${id} `}to retry (only failed mails whose body is still kept can be retried)`);
      return n || id === "all" ? 0 : 1;
    }
    const { counts, attention } = await outboxStatus(db.kysely);
    console.log(`pending ${counts.pending}  sending ${counts.sending}  sent ${counts.sent}  failed ${counts.failed}`);
    if (attention.length === 0) return 0;
    console.log("");
    for (const m of attention) {
      const when = m.status === "pending" ? `next try ${new Date(m.nextAttemptAt).toISOString()}` : `since ${new Date(m.updatedAt).toISOString()}`;
      console.log(`${m.id}  ${m.status.padEnd(7)}  ${m.template.padEnd(16)}  ${(m.to ?? "(body deleted)").padEnd(24)}  tries ${m.attempts}  ${when}`);
      if (m.lastError) console.log(`    last error: ${m.lastError}`);
    }
    return counts.failed > 0 ? 1 : 0;
  } finally {
    await db.close();
  }
}

// A `.env` beside package.json is read if present, as `npm start` does; real environment variables win.
if (existsSync(".env")) process.loadEnvFile(".env");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else console.error(`mail: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
