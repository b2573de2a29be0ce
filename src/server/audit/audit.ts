import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema.ts";
import { currentRequest } from "../http/request-context.ts";

/** Security events (ASVS 16.3.1). Stable names: the UI and staff tools key on them. */
export type SecurityEventType =
  | "sign_in"
  | "sign_in_failed"
  | "sign_in_throttled"
  | "sign_out"
  | "sign_up"
  | "sign_up_existing"
  | "token_issued"
  | "token_refresh_reuse"
  | "token_revoked"
  | "password_changed"
  | "password_reset"
  | "password_reset_requested"
  | "email_change_requested"
  | "email_changed"
  | "email_verified"
  | "session_revoked"
  | "sessions_revoked"
  | "account_deleted"
  | "role_changed"
  | "user_banned"
  | "user_unbanned"
  | "user_removed"
  | "two_factor_enabled"
  | "two_factor_disabled"
  | "recovery_code_used"
  | "trusted_device_added"
  | "trusted_device_removed"
  | "anonymous_merged";

export interface SecurityEventInput {
  type: SecurityEventType;
  userId?: string | null;
  detail?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

export interface AuditLog {
  record(event: SecurityEventInput): Promise<void>;
}

export function createAuditLog(db: Kysely<Database>, logger: Logger, now: () => number = () => Date.now()): AuditLog {
  return {
    async record(event) {
      const req = currentRequest();
      const row = {
        id: randomUUID(),
        user_id: event.userId ?? null,
        type: event.type,
        ip: event.ip ?? req?.ip ?? null,
        user_agent: (event.userAgent ?? req?.userAgent ?? null)?.slice(0, 512) ?? null,
        detail: event.detail ? JSON.stringify(event.detail) : null,
        // A staff action names its actor in `detail.by`: kept in a column of its own to filter on.
        actor_id: typeof event.detail?.by === "string" ? event.detail.by : null,
        created_at: now(),
      };
      // An audit write must never turn a user's successful action into an error.
      try {
        await db.insertInto("security_event").values(row).execute();
      } catch (err) {
        logger.error({ err, type: event.type }, "failed to record security event");
      }
      logger.info({ event: event.type, userId: row.user_id, ip: row.ip }, "security event");
    },
  };
}
