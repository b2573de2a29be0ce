import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import type { AuditLog } from "../audit/audit.ts";
import { TRUST_DEVICE_IDENTIFIER_PATTERN } from "../auth/better-auth/trust-device.ts";

export interface TrustedDevice {
  id: string;
  userAgent: string | null;
  ip: string | null;
  /** The session in which the code was entered with "trust this device". */
  sessionId: string | null;
  trustedAt: string;
  lastUsedAt: string;
  expiresAt: string;
  /** Whether the request came from this device (its trusted-device cookie). */
  current: boolean;
}

export interface TrustedDevices {
  /**
   * Better Auth wrote a trusted device's verification row: a device trusted just now, or one
   * signing in again (its row renewed: `previousIdentifier`, from the request's cookie).
   */
  trusted(row: { identifier: string; userId: string; expiresAt: number }, from: { previousIdentifier: string | null; userAgent: string | null; ip: string | null; sessionId: string | null }): Promise<void>;
  /** The account's trusted devices whose trust still holds, newest first. */
  list(userId: string, currentIdentifier: string | null): Promise<TrustedDevice[]>;
  /** Forget one device of this account: its next sign-in asks for the code. False when no such device. */
  remove(userId: string, id: string): Promise<boolean>;
  /** Forget every device of this account (password reset or change, factor off, ban); how many were trusted. */
  forgetAll(userId: string, reason: string): Promise<number>;
}

/**
 * Trusted devices (Better Auth's trust-device cookie and verification row, auth/better-auth/
 * trust-device.ts), made visible and revocable: which device, when, from which session. Revoking
 * deletes Better Auth's row, so the cookie no longer skips the code.
 */
export function createTrustedDevices(db: Kysely<Database>, audit: AuditLog, now: () => number = () => Date.now()): TrustedDevices {
  const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
  return {
    async trusted(row, from) {
      const at = now();
      if (from.previousIdentifier) {
        const renewed = await db
          .updateTable("trusted_device")
          .set({ identifier: row.identifier, last_used_at: at, expires_at: row.expiresAt })
          .where("identifier", "=", from.previousIdentifier)
          .where("user_id", "=", row.userId)
          .executeTakeFirst();
        if (Number(renewed.numUpdatedRows) > 0) return;
      }
      const id = randomUUID();
      await db
        .insertInto("trusted_device")
        .values({ id, user_id: row.userId, identifier: row.identifier, user_agent: from.userAgent?.slice(0, 512) ?? null, ip: from.ip, session_id: from.sessionId, created_at: at, last_used_at: at, expires_at: row.expiresAt })
        .onConflict((oc) => oc.column("identifier").doNothing())
        .execute();
      await audit.record({ type: "trusted_device_added", userId: row.userId, detail: { device: id } });
    },

    async list(userId, currentIdentifier) {
      // Only devices whose Better Auth row still stands: that row is what skips the code.
      const rows = await db
        .selectFrom("trusted_device as d")
        .innerJoin("verification as v", (j) => j.onRef("v.identifier", "=", "d.identifier").onRef("v.value", "=", "d.user_id"))
        .select(["d.id", "d.identifier", "d.user_agent", "d.ip", "d.session_id", "d.created_at", "d.last_used_at", "d.expires_at"])
        .where("d.user_id", "=", userId)
        .where("d.expires_at", ">", now())
        .orderBy("d.created_at", "desc")
        .orderBy("d.id")
        .execute();
      return rows.map((r) => ({
        id: r.id,
        userAgent: r.user_agent,
        ip: r.ip,
        sessionId: r.session_id,
        trustedAt: iso(r.created_at),
        lastUsedAt: iso(r.last_used_at),
        expiresAt: iso(r.expires_at),
        current: currentIdentifier !== null && r.identifier === currentIdentifier,
      }));
    },

    async remove(userId, id) {
      const row = await db.selectFrom("trusted_device").select(["identifier", "user_agent"]).where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
      if (!row) return false;
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("verification").where("identifier", "=", row.identifier).where("value", "=", userId).execute();
        await trx.deleteFrom("trusted_device").where("id", "=", id).execute();
      });
      await audit.record({ type: "trusted_device_removed", userId, detail: { device: id, userAgent: row.user_agent } });
      return true;
    },

    async forgetAll(userId, reason) {
      const count = await db.transaction().execute(async (trx) => {
        // Rows of devices trusted before they were recorded here too.
        const rows = await trx.deleteFrom("verification").where("value", "=", userId).where("identifier", "like", TRUST_DEVICE_IDENTIFIER_PATTERN).executeTakeFirst();
        await trx.deleteFrom("trusted_device").where("user_id", "=", userId).execute();
        return Number(rows.numDeletedRows);
      });
      if (count > 0) await audit.record({ type: "trusted_device_removed", userId, detail: { all: true, reason, count } });
      return count;
    },
  };
}
