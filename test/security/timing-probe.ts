/**
 * Finding 7 (ASVS 6.3.8), measured: how long a wrong password takes to answer, by the state of
 * the account (existing and verified, unknown, unverified, banned); and how long a sign-up
 * takes for a new and for a taken address. 40 interleaved tries each,
 * a fresh account per try (the per-account throttle would otherwise answer the later ones
 * early), each from its own IP. Prints medians; it reports, it does not gate (the regression
 * test is in test/integration/sign-in-fast-path.test.ts: one password check, never Better
 * Auth's handler, for every state).
 *
 *   npx tsx test/security/timing-probe.ts [sqlite|postgres-url]
 */
import { performance } from "node:perf_hooks";
import { createTestInstance, uniqueEmail } from "../support/instance.ts";

const TRIES = 40;
const t = await createTestInstance("sqlite");
const db = t.services.db.kysely;

async function unverified() {
  const email = uniqueEmail("unverified");
  await t.client().post("/api/auth/sign-up/email", { name: "Probe", email, password: "a long enough passphrase 8" });
  return email;
}

const accounts = { existing: [] as string[], unknown: [] as string[], unverified: [] as string[], banned: [] as string[] };
for (let i = 0; i < TRIES; i++) {
  accounts.existing.push((await t.signedInUser()).email);
  accounts.unknown.push(uniqueEmail("nobody"));
  accounts.unverified.push(await unverified());
  const banned = await t.signedInUser();
  await db.updateTable("user").set({ banned: 1 as never }).where("id", "=", banned.userId).execute();
  accounts.banned.push(banned.email);
}

const times: Record<string, number[]> = { existing: [], unknown: [], unverified: [], banned: [] };
for (let i = 0; i < TRIES; i++) {
  for (const kind of Object.keys(accounts) as (keyof typeof accounts)[]) {
    const c = t.client();
    const start = performance.now();
    const res = await c.post("/api/auth/sign-in/email", { email: accounts[kind][i], password: "not the right password" });
    times[kind]!.push(performance.now() - start);
    if (res.status !== 401) throw new Error(`${kind}: ${res.status} ${res.text}`);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`wrong password, median of ${TRIES} interleaved tries (ms):`);
for (const [kind, xs] of Object.entries(times)) console.log(`  ${kind.padEnd(10)} ${median(xs).toFixed(1)}`);
await t.close();

// Sign-up: a taken address answers as a new one does, after the same work (a mail row, an
// audit row). Without the one-mail-a-minute quota, which the accounts above have just used.
const u = await createTestInstance("sqlite", { RATE_LIMIT: "off" });
const taken: string[] = [];
for (let i = 0; i < TRIES; i++) taken.push((await u.signedInUser()).email);
const signUps: Record<string, number[]> = { new: [], taken: [] };
for (let i = 0; i < TRIES; i++) {
  for (const [kind, email] of [["new", uniqueEmail("fresh")], ["taken", taken[i]!]] as const) {
    const start = performance.now();
    const res = await u.client().post("/api/auth/sign-up/email", { name: "Probe", email, password: "a long enough passphrase 8" });
    signUps[kind]!.push(performance.now() - start);
    if (res.status !== 200) throw new Error(`sign-up ${kind}: ${res.status} ${res.text}`);
  }
}
console.log(`sign-up, median of ${TRIES} interleaved tries (ms):`);
for (const [kind, xs] of Object.entries(signUps)) console.log(`  ${kind.padEnd(10)} ${median(xs).toFixed(1)}`);
await u.close();
