import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";

/**
 * Opaque refresh tokens that rotate on every use, with reuse detection (ASVS 10.4.5, 10.4.8;
 * RFC 9700 §4.14; Supabase Auth's reuse interval). See docs/decisions/004-refresh-tokens.md.
 *
 * - A family starts with 256 random bits; only SHA-256 hashes are stored.
 * - Each successor is HMAC(k, "successor" || parent): nothing secret is stored, yet within the
 *   grace window a repeated parent can be answered with its family's current token (parallel
 *   tabs, lost responses) instead of revoking everyone.
 * - Presenting a rotated token after the grace window revokes the whole family.
 * - The family's absolute expiry is fixed at its start; rotation never extends it.
 * - Rotation is one conditional UPDATE (`rotated_at IS NULL`): two simultaneous refreshes of
 *   one token produce one successor, never two.
 */
export const REFRESH_TOKEN_PREFIX = "aibk_rt_";
const TOKEN_SHAPE = /^aibk_rt_[A-Za-z0-9_-]{43}$/;
const MAX_CHAIN = 1000;

export type RotateResult =
  | { ok: true; userId: string; token: string; expiresAt: number; familyId: string }
  | { ok: false; reason: "invalid" | "expired" | "revoked" | "reused" };

export interface RefreshTokenServiceOptions {
  db: Kysely<Database>;
  secret: string;
  ttlMs: number;
  graceMs: number;
  now?: () => number;
  /** Called when a rotated token is replayed after the grace window (the family is then dead). */
  onReuse?: (info: { userId: string; familyId: string }) => Promise<void> | void;
}

export function hashRefreshToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

export function looksLikeRefreshToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

export function createRefreshTokenService(options: RefreshTokenServiceOptions) {
  const { db } = options;
  const now = options.now ?? (() => Date.now()); // read at call time (test clocks, clock changes)
  const successorKey = Buffer.from(hkdfSync("sha256", options.secret, "aibook", "refresh-token-successor-v1", 32));

  const successorOf = (token: string) =>
    REFRESH_TOKEN_PREFIX + createHmac("sha256", successorKey).update("successor\0").update(token).digest("base64url");

  async function issue(userId: string, meta: { ip?: string | null; userAgent?: string | null } = {}) {
    const token = REFRESH_TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const t = now();
    const expiresAt = t + options.ttlMs;
    await db
      .insertInto("refresh_token")
      .values({
        id: randomUUID(),
        family_id: randomUUID(),
        user_id: userId,
        token_hash: hashRefreshToken(token),
        parent_id: null,
        rotated_at: null,
        revoked_at: null,
        revoked_reason: null,
        expires_at: expiresAt,
        created_at: t,
        ip: meta.ip ?? null,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
      })
      .execute();
    return { token, expiresAt };
  }

  async function revokeFamily(familyId: string, reason: string) {
    await db
      .updateTable("refresh_token")
      .set({ revoked_at: now(), revoked_reason: reason })
      .where("family_id", "=", familyId)
      .where("revoked_at", "is", null)
      .execute();
  }

  async function rotate(token: string, meta: { ip?: string | null; userAgent?: string | null } = {}): Promise<RotateResult> {
    if (!looksLikeRefreshToken(token)) return { ok: false, reason: "invalid" };
    const outcome = await db.transaction().execute(async (trx) => {
      const find = (hash: string) => trx.selectFrom("refresh_token").selectAll().where("token_hash", "=", hash).executeTakeFirst();
      let row = await find(hashRefreshToken(token));
      if (!row) return { ok: false, reason: "invalid" } as const;
      const t = now();
      if (row.revoked_at !== null) return { ok: false, reason: "revoked" } as const;
      if (row.expires_at <= t) return { ok: false, reason: "expired" } as const;

      if (row.rotated_at === null) {
        const successor = successorOf(token);
        const claimed = await trx
          .updateTable("refresh_token")
          .set({ rotated_at: t })
          .where("id", "=", row.id)
          .where("rotated_at", "is", null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) === 1) {
          await trx
            .insertInto("refresh_token")
            .values({
              id: randomUUID(),
              family_id: row.family_id,
              user_id: row.user_id,
              token_hash: hashRefreshToken(successor),
              parent_id: row.id,
              rotated_at: null,
              revoked_at: null,
              revoked_reason: null,
              expires_at: row.expires_at,
              created_at: t,
              ip: meta.ip ?? null,
              user_agent: meta.userAgent?.slice(0, 512) ?? null,
            })
            .execute();
          return { ok: true, userId: row.user_id, token: successor, expiresAt: row.expires_at, familyId: row.family_id } as const;
        }
        // Someone rotated it between our read and our write: treat as a repeat within grace.
        row = (await find(hashRefreshToken(token)))!;
      }

      if (t - (row.rotated_at ?? t) > options.graceMs) {
        return { ok: false, reason: "reused", familyId: row.family_id, userId: row.user_id } as const;
      }
      // Within the grace window: walk the chain to the family's current token.
      let current = token;
      for (let i = 0; i < MAX_CHAIN; i++) {
        current = successorOf(current);
        const next = await find(hashRefreshToken(current));
        if (!next) return { ok: false, reason: "invalid" } as const;
        if (next.revoked_at !== null) return { ok: false, reason: "revoked" } as const;
        if (next.rotated_at === null) {
          return { ok: true, userId: next.user_id, token: current, expiresAt: next.expires_at, familyId: next.family_id } as const;
        }
      }
      return { ok: false, reason: "invalid" } as const;
    });

    if (!outcome.ok && outcome.reason === "reused") {
      await revokeFamily(outcome.familyId, "reuse_detected");
      await options.onReuse?.({ userId: outcome.userId, familyId: outcome.familyId });
      return { ok: false, reason: "reused" };
    }
    return outcome;
  }

  /** RFC 7009: revoke the family the token belongs to; unknown tokens are silently ignored. */
  async function revoke(token: string): Promise<{ userId: string } | null> {
    if (!looksLikeRefreshToken(token)) return null;
    const row = await db
      .selectFrom("refresh_token")
      .select(["family_id", "user_id"])
      .where("token_hash", "=", hashRefreshToken(token))
      .executeTakeFirst();
    if (!row) return null;
    await revokeFamily(row.family_id, "revoked_by_client");
    return { userId: row.user_id };
  }

  async function revokeAllForUser(userId: string, reason: string) {
    await db
      .updateTable("refresh_token")
      .set({ revoked_at: now(), revoked_reason: reason })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .execute();
  }

  // Rows past their family's absolute expiry are deleted by the retention job (maintenance/retention.ts).
  return { issue, rotate, revoke, revokeAllForUser };
}

export type RefreshTokenService = ReturnType<typeof createRefreshTokenService>;
