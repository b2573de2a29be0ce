import { createPublicKey, verify as verifySignature, type KeyObject } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import { ACCESS_TOKEN_USE, JWKS_GRACE_SECONDS } from "./access-token-claims.ts";
import { issuedAtMs } from "./access-token-cutoff.ts";

/**
 * Verifies our access JWTs on the hot path of /api/v1/* (RFC 8725, ASVS 9.1–9.2).
 *
 * - One algorithm, pinned: EdDSA (Ed25519). `none`, HS*, RS*, ES* are refused before any key
 *   is touched, so the "HS256 signed with our public key" confusion cannot happen.
 * - Keys come only from our own `jwks` table, by `kid`; `jku`, `x5u`, `jwk` headers are never
 *   read, and a `crit` header is refused (we understand no extensions).
 * - Unknown `kid`s reload the key table at most once per `reloadIntervalMs` (no refetch storm).
 *   Our own minting paths report each kid they sign with (`noteSigned`), so a freshly rotated key
 *   is trusted at once; keys past their grace period (no longer at /jwks) are not trusted at all.
 * - Signature before claims; then exp (required), nbf, iss, aud, `token_use: access`.
 * - Verified claims are remembered per exact token string (bounded), with `exp` re-checked on
 *   every use: each distinct token pays for one Ed25519 verify (~0.1 ms) in its life.
 */
export interface AccessClaims {
  sub: string;
  role: string;
  email_verified: boolean;
  jti: string;
  exp: number;
  iat: number;
  /** Issue time in ms, worked out once (access-token-cutoff.ts `issuedAtMs`). Not a claim. */
  issuedAtMs: number;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: string };

export interface AccessTokenVerifierOptions {
  db: Kysely<Database>;
  issuer: string;
  audience: string;
  now?: () => number;
  maxTokenLength?: number;
  cacheSize?: number;
  reloadIntervalMs?: number;
  /** How long a key stays trusted after its `expiresAt` (Better Auth's `jwks.gracePeriod`): as long as /jwks publishes it. */
  keyGraceMs?: number;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJson(segment: string): Record<string, unknown> | null {
  if (!B64URL.test(segment)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions) {
  const now = options.now ?? (() => Date.now()); // read at call time (test clocks, clock changes)
  const maxLength = options.maxTokenLength ?? 8192;
  const cacheSize = options.cacheSize ?? 10_000;
  // Once a second at most: a random-kid flood costs one small indexed read a second, and a key
  // another process has just created is trusted here within a second (it was 30 s).
  const reloadInterval = options.reloadIntervalMs ?? 1_000;
  const keyGrace = options.keyGraceMs ?? JWKS_GRACE_SECONDS * 1000;
  let keys = new Map<string, { key: KeyObject; retiresAt: number }>();
  let lastLoad = -Infinity;
  let loading: Promise<void> | null = null;
  const verified = new Map<string, AccessClaims>();

  async function loadKeys(): Promise<void> {
    const rows = await options.db.selectFrom("jwks").select(["id", "publicKey", "alg", "crv", "expiresAt"]).execute();
    const next = new Map<string, { key: KeyObject; retiresAt: number }>();
    for (const row of rows) {
      if ((row.alg ?? "EdDSA") !== "EdDSA") continue;
      try {
        const jwk = JSON.parse(row.publicKey) as Record<string, unknown>;
        if (jwk.kty !== "OKP" || (jwk.crv ?? row.crv) !== "Ed25519") continue;
        const expiresAt = row.expiresAt === null ? Infinity : new Date(row.expiresAt).getTime();
        if (Number.isNaN(expiresAt)) continue;
        const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: String(jwk.x) }, format: "jwk" });
        next.set(row.id, { key, retiresAt: expiresAt + keyGrace });
      } catch {
        // A malformed stored key is skipped, not fatal.
      }
    }
    keys = next;
    lastLoad = now();
  }

  function reload(): Promise<void> {
    loading ??= loadKeys().finally(() => {
      loading = null;
    });
    return loading;
  }

  async function keyFor(kid: string): Promise<KeyObject | undefined> {
    let entry = keys.get(kid);
    // A clock set back is not "still within the cooldown": reload.
    if (!entry && (now() - lastLoad >= reloadInterval || now() < lastLoad)) {
      await reload();
      entry = keys.get(kid);
    }
    // A key past its grace period is no longer published at /jwks: trust exactly what /jwks publishes.
    return entry && entry.retiresAt > now() ? entry.key : undefined;
  }

  /**
   * Called by our own minting paths with a token they just signed: a kid we signed with exists,
   * so a new (rotated) key is loaded at once instead of after the unknown-kid cooldown.
   */
  async function noteSigned(token: string): Promise<void> {
    const header = decodeJson(token.split(".")[0] ?? "");
    const kid = header?.kid;
    if (typeof kid !== "string" || keys.has(kid)) return;
    await reload();
    // A load already in flight may have read the table before the key was written: read once more.
    if (!keys.has(kid)) await reload();
  }

  function checkTime(claims: AccessClaims): VerifyResult {
    if (claims.exp * 1000 <= now()) return { ok: false, reason: "expired" };
    return { ok: true, claims };
  }

  /**
   * The answer for a token already verified, without a promise (the hot path of /api/v1/*), or
   * `undefined` when the token has not been seen: then `verify` it. `exp` is re-checked here too.
   */
  function verifyCached(token: string): VerifyResult | undefined {
    const cached = verified.get(token);
    return cached ? checkTime(cached) : undefined;
  }

  async function verify(token: string): Promise<VerifyResult> {
    const cached = verified.get(token);
    if (cached) return checkTime(cached);
    if (token.length > maxLength) return { ok: false, reason: "too_long" };
    const parts = token.split(".");
    if (parts.length !== 3) return { ok: false, reason: "malformed" };
    const [h, p, s] = parts as [string, string, string];
    const header = decodeJson(h);
    if (!header) return { ok: false, reason: "malformed_header" };
    if (header.alg !== "EdDSA") return { ok: false, reason: "alg_not_allowed" };
    if ("crit" in header) return { ok: false, reason: "crit_not_supported" };
    if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 128) {
      return { ok: false, reason: "bad_kid" };
    }
    if (!B64URL.test(s) || !B64URL.test(p)) return { ok: false, reason: "malformed" };
    const signature = Buffer.from(s, "base64url");
    if (signature.length !== 64) return { ok: false, reason: "bad_signature" };
    const key = await keyFor(header.kid);
    if (!key) return { ok: false, reason: "unknown_kid" };
    let valid = false;
    try {
      valid = verifySignature(null, Buffer.from(`${h}.${p}`), key, signature);
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, reason: "bad_signature" };

    const payload = decodeJson(p);
    if (!payload) return { ok: false, reason: "malformed_payload" };
    const t = now() / 1000;
    if (typeof payload.exp !== "number") return { ok: false, reason: "missing_exp" };
    if (payload.nbf !== undefined && (typeof payload.nbf !== "number" || payload.nbf > t)) return { ok: false, reason: "not_yet_valid" };
    if (payload.iss !== options.issuer) return { ok: false, reason: "bad_iss" };
    const aud = payload.aud;
    if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience)))) return { ok: false, reason: "bad_aud" };
    if (payload.token_use !== ACCESS_TOKEN_USE) return { ok: false, reason: "not_access_token" };
    if (typeof payload.sub !== "string" || payload.sub.length === 0) return { ok: false, reason: "missing_sub" };
    const claims: AccessClaims = {
      sub: payload.sub,
      role: typeof payload.role === "string" ? payload.role : "user",
      email_verified: payload.email_verified === true,
      jti: typeof payload.jti === "string" ? payload.jti : "",
      exp: payload.exp,
      iat: typeof payload.iat === "number" ? payload.iat : 0,
      issuedAtMs: 0,
    };
    claims.issuedAtMs = issuedAtMs(claims);
    const result = checkTime(claims);
    if (result.ok) {
      if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
      verified.set(token, claims);
    }
    return result;
  }

  return { verify, verifyCached, noteSigned, reloadKeys: reload };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;
