import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import type { ChatStore } from "./chat-store.ts";

/**
 * Answers left "streaming" by a process that died (kill -9, OOM, power loss) would stay so
 * forever, and a streaming answer cannot be retried. Each answer row names the process writing
 * it (`host:port#boot-id`); a row is orphaned when:
 *
 * - it was written by an earlier process of this same instance (same host and port: two live
 *   processes cannot listen there at once), found at start-up, once we listen; or
 * - its chat has not moved for longer than any answer may take (other instances sharing one
 *   PostgreSQL, or rows from before the tag existed), found at start-up and by maintenance.
 *
 * Such rows become "interrupted" (INTERRUPTED), which the reader can retry. A live answer that
 * finished after all simply overwrites that status with its own.
 */
export function streamInstance(port: number, host = hostname()): string {
  return `${host}:${port}`;
}

export function newStreamOwner(instance: string): string {
  return `${instance}#${randomUUID()}`;
}

export async function interruptOrphanedAnswers(
  db: Kysely<Database>,
  opts: { self: string; instance?: string; olderThan: number },
): Promise<number> {
  const rows = await db
    .selectFrom("message")
    .innerJoin("chat", "chat.id", "message.chat_id")
    .select(["message.id", "message.stream_owner", "chat.updated_at"])
    // A literal, so SQLite can use the partial index (it cannot match a bound parameter).
    .where("message.status", "=", sql.lit("streaming"))
    .execute();
  const predecessor = opts.instance ? `${opts.instance}#` : null;
  const orphaned = rows
    .filter((r) => r.stream_owner !== opts.self)
    .filter((r) => (predecessor !== null && r.stream_owner?.startsWith(predecessor)) || Number(r.updated_at) < opts.olderThan)
    .map((r) => r.id);
  let changed = 0;
  for (let i = 0; i < orphaned.length; i += 500) {
    const res = await db
      .updateTable("message")
      .set({ status: "interrupted", error_code: "INTERRUPTED" })
      .where("id", "in", orphaned.slice(i, i + 500))
      .where("status", "=", "streaming")
      .executeTakeFirst();
    changed += Number(res.numUpdatedRows);
  }
  return changed;
}

export type AnswerFinal = Parameters<ChatStore["finishAnswer"]>[1];

/** Waits between attempts; the last repeats until about ten minutes have passed. */
const FINISH_RETRY_MS = [250, 500, 1_000, 2_000, 5_000];
const FINISH_GIVE_UP_MS = 10 * 60_000;

/**
 * An answer whose last write failed because the database was away (a restart, a failover):
 * write it once the database answers again. Nothing else would: a row of this live process is
 * not an orphan to `interruptOrphanedAnswers`, and a "streaming" answer cannot be retried.
 */
export function finishWhenDatabaseIsBack(store: Pick<ChatStore, "finishAnswer">, id: string, final: AnswerFinal, logger: Logger, now = () => Date.now()): Promise<boolean> {
  const started = now();
  return new Promise((resolve) => {
    const attempt = (n: number) => {
      const timer = setTimeout(() => {
        store.finishAnswer(id, final).then(
          () => {
            logger.warn({ id, status: final.status }, "answer stored once the database was back");
            resolve(true);
          },
          (err: unknown) => {
            if (isDatabaseUnavailable(err) && now() - started < FINISH_GIVE_UP_MS) return attempt(n + 1);
            logger.error({ id, err: err instanceof Error ? err.message : String(err) }, "answer could not be stored; it stays 'streaming' until a restart recovers it");
            resolve(false);
          },
        );
      }, FINISH_RETRY_MS[Math.min(n, FINISH_RETRY_MS.length - 1)]);
      timer.unref();
    };
    attempt(0);
  });
}

/**
 * `recoverAnswers` of the services: this process's own orphans by age, and with `afterRestart`
 * (once we hold the port) every answer of this instance's earlier processes.
 */
export function createAnswerRecovery(opts: { db: Kysely<Database>; logger: Logger; instance: string; self: string; orphanAfterMs: number }) {
  return async (run: { afterRestart?: boolean } = {}): Promise<number> => {
    const interrupted = await interruptOrphanedAnswers(opts.db, {
      self: opts.self,
      instance: run.afterRestart ? opts.instance : undefined,
      olderThan: Date.now() - opts.orphanAfterMs,
    });
    if (interrupted) opts.logger.warn({ interrupted }, "answers left unfinished by a stopped process were marked interrupted");
    return interrupted;
  };
}
