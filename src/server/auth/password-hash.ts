import { availableParallelism } from "node:os";
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

/**
 * At most one argon2 computation per CPU at a time (the rest wait their turn, first come first
 * served). libuv runs up to 4 at once by default; with fewer cores than that, their 19 MiB
 * working sets evict each other on every time slice and each hash costs ~1.7x the CPU (measured
 * on one core: 8.7 ms alone, 14.6 ms four at a time), so a sign-in flood got less done and held
 * more memory. Same results, same order of work: only the interleaving changes.
 */
const MAX_CONCURRENT_HASHES = Math.max(1, availableParallelism());
let hashesRunning = 0;
const hashQueue: (() => void)[] = [];

async function oneAtATimePerCpu<T>(work: () => Promise<T>): Promise<T> {
  if (hashesRunning < MAX_CONCURRENT_HASHES) hashesRunning++;
  else await new Promise<void>((resolve) => hashQueue.push(resolve)); // the finishing task hands over its slot
  try {
    return await work();
  } finally {
    const next = hashQueue.shift();
    if (next) next();
    else hashesRunning--;
  }
}

export function hashPassword(password: string): Promise<string> {
  const normalized = normalizePassword(password);
  return oneAtATimePerCpu(() => hash(normalized, ARGON2_OPTIONS));
}

export async function verifyPassword({ hash: stored, password }: { hash: string; password: string }): Promise<boolean> {
  if (!stored.startsWith("$argon2")) return false;
  try {
    const normalized = normalizePassword(password);
    return await oneAtATimePerCpu(() => verify(stored, normalized));
  } catch {
    return false;
  }
}

/** A real hash to verify against when the account does not exist, so timing reveals nothing. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= oneAtATimePerCpu(() => hash("not-a-real-password-" + Math.random(), ARGON2_OPTIONS));
  return dummyHash;
}
