import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import type { AccessClaims } from "./access-token-verifier.ts";

/**
 * Access tokens are stateless for 15 minutes; a password change, a reset, "sign out everywhere"
 * or a ban must not leave them working that long (ASVS 7.4.1). Each of those records, per user,
 * the time before which every access token is refused. The caller check reads it with the user
 * row it already loads (and caches for ~2 s, dropped at once on this instance), so the hot path
 * costs nothing more and every instance refuses the old tokens within seconds.
 *
 * Tokens are compared by their issue time in milliseconds: the `jti` of our tokens is a UUIDv7,
 * whose first 48 bits are that time (RFC 9562 §5.7); `iat` has only seconds, and a token minted
 * in the same second right after a password change must stay good. A token without a UUIDv7
 * `jti` counts as issued at the start of its `iat` second.
 */
export interface AccessTokenCutoff {
  /** Refuse every access token of this user issued until now. */
  cut(userId: string): Promise<void>;
}

export function createAccessTokenCutoff(db: Kysely<Database>, now: () => number = () => Date.now()): AccessTokenCutoff {
  return {
    async cut(userId) {
      const at = now();
      await db
        .insertInto("access_token_cutoff")
        .values({ user_id: userId, not_before: at })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ not_before: at }))
        .execute();
    },
  };
}

const UUID_V7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** When an access token was issued, in epoch ms (see above). */
export function issuedAtMs(claims: Pick<AccessClaims, "iat" | "jti">): number {
  const v7 = UUID_V7.exec(claims.jti);
  if (v7) {
    const ms = parseInt(v7[1]! + v7[2]!, 16);
    // A UUIDv7 time outside the token's own iat second is not believed.
    if (Math.floor(ms / 1000) === claims.iat) return ms;
  }
  return claims.iat * 1000;
}
