/**
 * Query plans of the queries behind the benchmarked routes and the housekeeping deletes, on a
 * seeded database (`npm run bench -- --scale`): EXPLAIN QUERY PLAN on SQLite (plus one timed
 * run), EXPLAIN ANALYZE on PostgreSQL. Writes run inside a transaction that is rolled back.
 *
 * The SQL is what the app and Better Auth send (captured from the test suite with statement
 * tracing), with values taken from the seeded rows. A plan that reads a whole large table for
 * what should be a few rows is flagged. The retention deletes are written here by their
 * condition alone (maintenance/retention.ts runs each in batches of `... where key in (select key
 * ... where <condition> limit n)`); test/integration/migrations.test.ts checks the plans of the
 * statements themselves.
 */
import SQLite from "better-sqlite3";
import pg from "pg";
import type { SeedTarget } from "./seed.ts";

interface PlannedQuery {
  name: string;
  /** Where the query comes from. */
  source: string;
  sql: string;
  params: unknown[];
}

export interface Plan {
  name: string;
  source: string;
  /** Plan lines, as the database prints them. */
  plan: string[];
  /** Milliseconds for one run (SQLite: timed here; PostgreSQL: its Execution Time). */
  ms: number;
  /** Whole-table reads of large tables in the plan. */
  fullScans: string[];
}

/** Tables large enough on a seeded database that reading one whole is a finding. */
const LARGE = ["user", "account", "session", "chat", "message", "refresh_token", "security_event", "verification", "used_token", "rate_limit_counter"];
const HOUR = 3_600_000;

interface Samples {
  email: string;
  userId: string;
  token: string;
  sessionUserId: string;
  chatId: string;
  chatOwner: string;
  lastMessageAt: number;
  refreshHash: string;
  familyId: string;
  refreshUserId: string;
  eventUserId: string;
  identifier: string;
  providerId: string;
  accountId: string;
  sessionCutoff: string;
  verificationCutoff: string;
  refreshCutoff: number;
  eventCutoff: number;
  usedCutoff: number;
  counterCutoff: number;
  anonymousCutoff: string;
  anonymousCutoffMs: number;
}

/** Values for the queries: real rows of the seeded database; cutoffs that catch the oldest few rows, as a periodic purge does. */
async function samples(one: (sql: string) => Promise<Record<string, unknown>>, now: number): Promise<Samples> {
  const toMs = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : Number(v));
  const iso = (ms: number) => new Date(ms).toISOString();
  const user = await one(`select "id", "email" from "user" where "email" = 'reader-777@example.com'`);
  const session = await one(`select "token", "userId" from "session" order by "id" limit 1`);
  const chat = await one(`select "chat_id", count(*) as "n", max("created_at") as "last" from "message" group by "chat_id" having count(*) >= 40 order by "chat_id" limit 1`);
  const owner = await one(`select "owner_id" from "chat" where "id" = '${String(chat.chat_id)}'`);
  const refresh = await one(`select "token_hash", "family_id", "user_id" from "refresh_token" order by "id" limit 1`);
  const event = await one(`select "user_id" from "security_event" where "user_id" is not null order by "id" limit 1`);
  const verification = await one(`select "identifier" from "verification" order by "id" limit 1`);
  const oauth = await one(`select "providerId", "accountId" from "account" where "providerId" = 'github' order by "id" limit 1`);
  const mins = await one(`select
    (select min("expiresAt") from "session") as "session",
    (select min("expiresAt") from "verification") as "verification",
    (select min("expires_at") from "refresh_token") as "refresh",
    (select min("created_at") from "security_event") as "event",
    (select min("expires_at") from "used_token") as "used",
    (select min("reset_at") from "rate_limit_counter") as "counter"`);
  const anonymousCutoffMs = now - 30 * 24 * HOUR; // ANONYMOUS_RETENTION_DAYS' default
  return {
    email: String(user.email),
    userId: String(user.id),
    token: String(session.token),
    sessionUserId: String(session.userId),
    chatId: String(chat.chat_id),
    chatOwner: String(owner.owner_id),
    lastMessageAt: toMs(chat.last) + 1,
    refreshHash: String(refresh.token_hash),
    familyId: String(refresh.family_id),
    refreshUserId: String(refresh.user_id),
    eventUserId: String(event.user_id),
    identifier: String(verification.identifier),
    providerId: String(oauth.providerId),
    accountId: String(oauth.accountId),
    sessionCutoff: iso(toMs(mins.session) + 6 * HOUR),
    verificationCutoff: iso(toMs(mins.verification) + 0.5 * HOUR),
    refreshCutoff: toMs(mins.refresh) + 6 * HOUR,
    eventCutoff: toMs(mins.event) + 6 * HOUR,
    usedCutoff: toMs(mins.used) + 6 * HOUR,
    counterCutoff: toMs(mins.counter) + 0.5 * HOUR,
    anonymousCutoff: iso(anonymousCutoffMs),
    anonymousCutoffMs,
  };
}

function queries(s: Samples, kind: SeedTarget["kind"], now: number): PlannedQuery[] {
  const notBanned = kind === "sqlite" ? `coalesce("banned", 0) = 0` : `coalesce("banned", false) = false`;
  const at = kind === "sqlite" ? "?" : "?::timestamptz";
  return [
    // Sign-in, /api/v1/me, token grant
    {
      name: "user + credential account by email",
      source: "auth/better-auth/sign-in.ts (sign-in)",
      sql: `select "user".*, "account"."password" as "__credentialPassword" from "user" left join "account" on "account"."userId" = "user"."id" and "account"."accountId" = "user"."id" and "account"."providerId" = ? where "user"."email" = ?`,
      params: ["credential", s.email],
    },
    {
      name: "session insert with its ban check",
      source: "auth/better-auth/sign-in.ts (sign-in)",
      sql: `insert into "session" ("id", "token", "userId", "expiresAt", "createdAt", "updatedAt", "ipAddress", "userAgent") select ?, ?, "id", ${at}, ${at}, ${at}, ?, ? from "user" where "id" = ? and ${notBanned}`,
      params: ["plan-session-id", "plan-session-token", new Date(now + 7 * 24 * HOUR).toISOString(), new Date(now).toISOString(), new Date(now).toISOString(), "10.0.0.1", "plan", s.userId],
    },
    { name: "Better Auth: user by email", source: "findUserByEmail", sql: `select "primary".* from (select * from "user" where "user"."email" = ?) as "primary"`, params: [s.email] },
    {
      name: "Better Auth: accounts by user id",
      source: "findAccounts",
      sql: `select "primary".* from (select * from "account" where "account"."userId" = ? limit 100) as "primary"`,
      params: [s.userId],
    },
    {
      name: "Better Auth: account by provider and account id",
      source: "findAccountOwnerByKey (OAuth sign-in, linking)",
      sql: `select "primary".* from (select * from "account" where ("account"."providerId" = ? and "account"."accountId" = ?) limit 2) as "primary"`,
      params: [s.providerId, s.accountId],
    },
    {
      name: "session by token",
      source: "auth/caller.ts (cookie)",
      sql: `select "id", "userId", "expiresAt", "createdAt", "updatedAt" from "session" where "token" = ?`,
      params: [s.token],
    },
    {
      name: "Better Auth: session by token",
      source: "findSession (getSession)",
      sql: `select "primary".* from (select * from "session" where "session"."token" = ? limit 1) as "primary"`,
      params: [s.token],
    },
    {
      name: "Better Auth: live sessions of a user",
      source: "listSessions, revoke",
      sql: `select "primary".* from (select * from "session" where ("session"."userId" = ? and "session"."expiresAt" > ?) limit 100) as "primary"`,
      params: [s.sessionUserId, new Date(now).toISOString()],
    },
    {
      name: "user by id + access-token cutoff",
      source: "auth/caller.ts",
      sql: `select "id", "name", "email", "emailVerified", "image", "role", "createdAt", "banned", "banExpires", "isAnonymous", "not_before" from "user" left join "access_token_cutoff" on "access_token_cutoff"."user_id" = "user"."id" where "id" = ?`,
      params: [s.userId],
    },
    { name: "preferences of a user", source: "account/preferences.ts", sql: `select * from "user_preferences" where "user_id" = ?`, params: [s.userId] },
    // Chats
    {
      name: "chat list by owner, most recent first",
      source: "chat/chat-store.ts list",
      sql: `select "id", "title", "created_at", "updated_at" from "chat" where "owner_id" = ? order by "updated_at" desc, "id" desc limit ?`,
      params: [s.chatOwner, 21],
    },
    { name: "chat by id and owner", source: "chat/chat-store.ts find", sql: `select * from "chat" where "id" = ? and "owner_id" = ?`, params: [s.chatId, s.chatOwner] },
    {
      name: "messages of a chat, in order",
      source: "chat/chat-store.ts messages (open a chat)",
      sql: `select * from "message" where "chat_id" = ? order by "created_at" asc, "id" asc`,
      params: [s.chatId],
    },
    {
      name: "history before a question",
      source: "chat/chat-store.ts history (answer)",
      sql: `select "role", "content", "status" from "message" where "chat_id" = ? and "created_at" < ? and "status" = ? order by "created_at" desc limit ?`,
      params: [s.chatId, s.lastMessageAt, "complete", 10],
    },
    {
      name: "answers left streaming",
      source: "chat/answer-recovery.ts",
      sql: `select "message"."id", "message"."stream_owner", "chat"."updated_at" from "message" inner join "chat" on "chat"."id" = "message"."chat_id" where "message"."status" = 'streaming'`,
      params: [],
    },
    // Tokens and security events
    { name: "refresh token by hash", source: "tokens/refresh-tokens.ts rotate", sql: `select * from "refresh_token" where "token_hash" = ?`, params: [s.refreshHash] },
    {
      name: "revoke a refresh-token family",
      source: "tokens/refresh-tokens.ts revokeFamily",
      sql: `update "refresh_token" set "revoked_at" = ?, "revoked_reason" = ? where "family_id" = ? and "revoked_at" is null`,
      params: [now, "plan", s.familyId],
    },
    {
      name: "revoke a user's refresh tokens",
      source: "tokens/refresh-tokens.ts revokeAllForUser",
      sql: `update "refresh_token" set "revoked_at" = ?, "revoked_reason" = ? where "user_id" = ? and "revoked_at" is null`,
      params: [now, "plan", s.refreshUserId],
    },
    {
      name: "security events of a user",
      source: "account/me-routes.ts",
      sql: `select "id", "type", "ip", "user_agent", "detail", "created_at" from "security_event" where "user_id" = ? order by "created_at" desc, "id" desc limit ?`,
      params: [s.eventUserId, 51],
    },
    {
      name: "Better Auth: verification by identifier",
      source: "findVerificationValue",
      sql: `select "primary".* from (select * from "verification" where "verification"."identifier" = ? order by "createdAt" desc limit 1) as "primary" order by "createdAt" desc`,
      params: [s.identifier],
    },
    // Housekeeping
    {
      name: "abandoned anonymous readers",
      source: "chat/anonymous-purge.ts",
      sql:
        `select "user"."id" from "user" where "user"."isAnonymous" is true and "user"."updatedAt" < ? ` +
        `and not exists (select "session"."id" from "session" where "session"."userId" = "user"."id" and "session"."updatedAt" >= ?) ` +
        `and not exists (select "chat"."id" from "chat" where "chat"."owner_id" = "user"."id" and "chat"."updated_at" >= ?) ` +
        `and not exists (select "anonymous_merge"."anonymous_user_id" from "anonymous_merge" where "anonymous_merge"."anonymous_user_id" = "user"."id" and "anonymous_merge"."status" = ?) limit ?`,
      params: [s.anonymousCutoff, s.anonymousCutoff, s.anonymousCutoffMs, "pending", 1000],
    },
    { name: "Better Auth: expired verification rows", source: "findVerificationValue clean-up", sql: `delete from "verification" where "verification"."expiresAt" < ?`, params: [s.verificationCutoff] },
    { name: "expired sessions", source: "retention", sql: `delete from "session" where "expiresAt" < ?`, params: [s.sessionCutoff] },
    { name: "expired refresh tokens", source: "retention", sql: `delete from "refresh_token" where "expires_at" < ?`, params: [s.refreshCutoff] },
    { name: "old security events", source: "retention", sql: `delete from "security_event" where "created_at" < ?`, params: [s.eventCutoff] },
    { name: "expired used link tokens", source: "retention", sql: `delete from "used_token" where "expires_at" < ?`, params: [s.usedCutoff] },
    { name: "expired rate-limit counters", source: "retention", sql: `delete from rate_limit_counter where reset_at < ?`, params: [s.counterCutoff] },
  ];
}

/** `SCAN t` reads all of t, or all of an index of it, except a partial index (which holds only the rows asked for). */
function fullScansSqlite(plan: string[], partial: Set<string>): string[] {
  return plan.flatMap((line) => {
    const m = /^SCAN (\S+)(?: USING (?:COVERING )?INDEX (\S+))?/.exec(line.trim());
    return m && LARGE.includes(m[1]!) && !(m[2] && partial.has(m[2])) ? [line.trim()] : [];
  });
}

function fullScansPg(plan: string[]): string[] {
  return plan.flatMap((line) => {
    const m = /Seq Scan on (\S+)/.exec(line);
    return m && LARGE.includes(m[1]!.replaceAll('"', "")) ? [line.trim()] : [];
  });
}

async function plansSqlite(file: string, now: number): Promise<Plan[]> {
  const db = new SQLite(file, { readonly: false });
  try {
    const one = async (sql: string) => db.prepare(sql).get() as Record<string, unknown>;
    const partial = new Set(
      (db.prepare(`select "name", "sql" from sqlite_master where "type" = 'index' and "sql" is not null`).all() as { name: string; sql: string }[])
        .filter((i) => /\swhere\s/i.test(i.sql))
        .map((i) => i.name),
    );
    const out: Plan[] = [];
    for (const q of queries(await samples(one, now), "sqlite", now)) {
      const rows = db.prepare(`explain query plan ${q.sql}`).all(...q.params) as { id: number; parent: number; detail: string }[];
      const depth = new Map<number, number>([[0, 0]]);
      const plan = rows.map((r) => {
        const d = (depth.get(r.parent) ?? 0) + 1;
        depth.set(r.id, d);
        return `${"  ".repeat(d - 1)}${r.detail}`;
      });
      const stmt = db.prepare(q.sql);
      db.exec("begin");
      const started = performance.now();
      if (stmt.reader) stmt.all(...q.params);
      else stmt.run(...q.params);
      const ms = performance.now() - started;
      db.exec("rollback");
      out.push({ name: q.name, source: q.source, plan, ms, fullScans: fullScansSqlite(plan, partial) });
    }
    return out;
  } finally {
    db.close();
  }
}

async function plansPostgres(url: string, now: number): Promise<Plan[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string) => (await client.query(sql)).rows[0] as Record<string, unknown>;
    const out: Plan[] = [];
    for (const q of queries(await samples(one, now), "postgres", now)) {
      let n = 0;
      const sql = q.sql.replace(/\?/g, () => `$${++n}`);
      // Twice: the first run reads the pages into the cache, as on a server that has been up a while.
      let lines: string[] = [];
      for (let run = 0; run < 2; run++) {
        await client.query("begin");
        try {
          const res = await client.query<{ "QUERY PLAN": string }>(`explain (analyze, costs off) ${sql}`, q.params);
          lines = res.rows.map((r) => r["QUERY PLAN"]);
        } finally {
          await client.query("rollback");
        }
      }
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(lines.join("\n"))?.[1] ?? NaN);
      const plan = lines.filter((l) => !/^(Planning|Execution) Time/.test(l));
      out.push({ name: q.name, source: q.source, plan, ms, fullScans: fullScansPg(plan) });
    }
    return out;
  } finally {
    await client.end();
  }
}

export function explainAll(target: SeedTarget, now = Date.now()): Promise<Plan[]> {
  return target.kind === "sqlite" ? plansSqlite(target.file, now) : plansPostgres(target.url, now);
}

/** The plans as Markdown-ish text: one block per query, full scans flagged. */
export function formatPlans(title: string, plans: Plan[]): string {
  const lines = [`### ${title}`, ""];
  for (const p of plans) {
    lines.push(`${p.fullScans.length ? "FULL SCAN " : ""}${p.name} (${p.source}): ${p.ms < 1 ? p.ms.toFixed(3) : p.ms.toFixed(1)} ms`);
    for (const l of p.plan) lines.push(`    ${l}`);
  }
  const scans = plans.filter((p) => p.fullScans.length);
  lines.push("", scans.length ? `Full scans of large tables: ${scans.map((p) => p.name).join("; ")}` : "No query reads a whole large table.");
  return lines.join("\n");
}
