import { hash, verify } from "@node-rs/argon2";
import { normalizePassword } from "../../shared/password-policy.ts";

/**
 * argon2id at OWASP's minimum parameters (m=19 MiB, t=2, p=1): ~11 ms per hash here,
 * about 8x the sign-in capacity of Better Auth's default scrypt (docs/decisions/002).
 * Passwords are NFKC-normalised first so the same password typed on another keyboard
 * or OS verifies (NIST SP 800-63B §3.1.1.2), and never truncated (ASVS 6.2.8).
 */
const ARGON2_OPTIONS = {
  algorithm: 2, // Algorithm.Argon2id (a const enum, not importable under verbatimModuleSyntax)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), ARGON2_OPTIONS);
}

export async function verifyPassword({ hash: stored, password }: { hash: string; password: string }): Promise<boolean> {
  if (!stored.startsWith("$argon2")) return false;
  try {
    return await verify(stored, normalizePassword(password));
  } catch {
    return false;
  }
}

/** A real hash to verify against when the account does not exist, so timing reveals nothing. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hash("not-a-real-password-" + Math.random(), ARGON2_OPTIONS);
  return dummyHash;
}
