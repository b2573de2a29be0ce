import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { purgeExpired, type Purged, type RetentionSettings } from "./retention.ts";

/** PostgreSQL advisory lock key of the maintenance job ("AIBOOK" in ASCII, truncated to fit a bigint). */
export const MAINTENANCE_LOCK = 0x4149424f4f4bn;

export interface MaintenanceDeps {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  logger: Logger;
  retention: RetentionSettings;
  /** Jobs that are safe on every instance at once (idempotent, claim-based). */
  everyInstance: {
    retryMerges(): Promise<number>;
    purgeAbandonedAnonymous(now: number): Promise<number>;
    recoverAnswers(): Promise<number>;
  };
}

export interface MaintenanceReport {
  merged: number;
  purged: number;
  interrupted: number;
  /** Rows deleted by the retention rules; null when another instance held the lock. */
  retention: Purged | null;
}

/**
 * Housekeeping, every MAINTENANCE_INTERVAL_MINUTES on each instance: finish failed anonymous
 * merges, purge abandoned anonymous readers, mark answers of dead processes interrupted, and
 * delete what has expired (maintenance/retention.ts). The retention part runs on one instance
 * at a time: on PostgreSQL it holds an advisory lock (released with its connection if the
 * process dies); SQLite serialises writers itself and the deletes are idempotent.
 */
export function createMaintenance(deps: MaintenanceDeps) {
  const log = deps.logger.child({ module: "maintenance" });

  async function retention(now: number): Promise<Purged | null> {
    if (deps.dialect !== "postgres") return purgeExpired(deps.db, deps.retention, now);
    // One connection for the lock and the work: a session-level advisory lock belongs to it.
    return deps.db.connection().execute(async (conn) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${MAINTENANCE_LOCK}) as locked`.execute(conn);
      if (!rows[0]?.locked) return null;
      try {
        return await purgeExpired(conn, deps.retention, now);
      } finally {
        await sql`select pg_advisory_unlock(${MAINTENANCE_LOCK})`.execute(conn);
      }
    });
  }

  return {
    async run(now = Date.now()): Promise<MaintenanceReport> {
      const merged = await deps.everyInstance.retryMerges();
      const purged = await deps.everyInstance.purgeAbandonedAnonymous(now);
      const interrupted = await deps.everyInstance.recoverAnswers();
      const deleted = await retention(now);
      const total = deleted ? Object.values(deleted).reduce((a, b) => a + b, 0) : 0;
      if (merged || purged || total) log.info({ merged, purged, retention: deleted }, "maintenance");
      return { merged, purged, interrupted, retention: deleted };
    },
  };
}

export type Maintenance = ReturnType<typeof createMaintenance>;
