/** Test-only helpers for the email tests (not imported by production code). */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { pino, type Logger } from "pino";
import { SMTPServer } from "smtp-server";
import { createTestPgDatabase } from "../../../test/support/postgres.ts";
import { openDatabase, type Db } from "../db/index.ts";
import { migrateToLatest } from "../db/migrator.ts";

export interface MemoryLogger {
  logger: Logger;
  lines: string[];
  entries(): Array<Record<string, unknown> & { level: number; msg?: string }>;
  raw(): string;
}

/** A pino logger that keeps its JSON lines in memory. */
export function memoryLogger(): MemoryLogger {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => void lines.push(s) });
  return {
    logger,
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown> & { level: number; msg?: string }),
    raw: () => lines.join(""),
  };
}

export interface TestSmtpServer {
  url: string;
  received: ParsedMail[];
  dataCommands: number;
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1:<random>. The first `rejectFirst` DATA commands get a 451. */
export async function startSmtpServer(opts: { rejectFirst?: number } = {}): Promise<TestSmtpServer> {
  const state: TestSmtpServer = { url: "", received: [], dataCommands: 0, close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        state.dataCommands++;
        if (state.dataCommands <= (opts.rejectFirst ?? 0)) {
          const err = Object.assign(new Error("Try again later"), { responseCode: 451 });
          callback(err);
          return;
        }
        simpleParser(Buffer.concat(chunks))
          .then((parsed) => {
            state.received.push(parsed);
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

/** A migrated database for outbox tests: an SQLite file in a temp dir, or a fresh PostgreSQL database. */
export async function testDatabase(kind: "sqlite" | "postgres"): Promise<{ db: Db; open(): Db; close(): Promise<void> }> {
  if (kind === "sqlite") {
    const dir = mkdtempSync(path.join(tmpdir(), "aibook-mail-"));
    const config = { kind: "sqlite" as const, file: path.join(dir, "mail.db") };
    const db = openDatabase(config);
    await migrateToLatest(db);
    const extra: Db[] = [];
    return {
      db,
      open: () => {
        const other = openDatabase(config);
        extra.push(other);
        return other;
      },
      async close() {
        for (const d of extra) await d.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pgdb = await createTestPgDatabase();
  const config = { kind: "postgres" as const, url: pgdb.url };
  const db = openDatabase(config);
  await migrateToLatest(db);
  const extra: Db[] = [];
  return {
    db,
    open: () => {
      const other = openDatabase(config);
      extra.push(other);
      return other;
    },
    async close() {
      for (const d of extra) await d.close();
      await db.close();
      await pgdb.drop();
    },
  };
}
