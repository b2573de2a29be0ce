/**
 * Nothing grows without bound (maintenance/retention.ts): with a controllable clock, what has
 * expired goes and what is alive stays, table by table, on SQLite and PostgreSQL; and a churn of
 * simulated days keeps every table's size bounded.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAINTENANCE_LOCK } from "../../src/server/maintenance/maintenance.ts";
import { createTestInstance, DB_KINDS, type DbKind, type TestInstance } from "../support/instance.ts";

const DAY = 86_400_000;
const TABLES = [
  "session",
  "verification",
  "refresh_token",
  "used_token",
  "rate_limit_counter",
  "access_token_cutoff",
  "security_event",
  "mail_outbox",
  "anonymous_merge",
  "user",
] as const;
type Table = (typeof TABLES)[number];

async function sizes(t: TestInstance): Promise<Record<Table, number>> {
  const out = {} as Record<Table, number>;
  for (const table of TABLES) {
    const row = await t.services.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

describe.each(DB_KINDS)("retention on %s", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RETENTION_EXPIRED_DAYS: "1", MAIL_LOG_RETENTION_DAYS: "30", RETENTION_SECURITY_EVENT_DAYS: "365" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("with the clock moved on, each kind of row goes once expired plus its margin; live rows and accounts stay", async () => {
    // Real rows, written by the app: an account (sign-up, verification link: a used link, an
    // audit trail, a sent mail), a session, a refresh-token family, a reset request (a
    // verification row), a password change (an access-token cutoff), rate-limit counters.
    const u = await t.signedInUser();
    const grant = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: u.email, password: u.password });
    expect(grant.status, grant.text).toBe(200);
    expect((await t.client().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" })).status).toBe(200);
    await t.mail.waitFor(u.email, { subject: /reset/i });
    const changed = await u.client.post("/api/auth/change-password", { currentPassword: u.password, newPassword: "a brand new passphrase 9" });
    expect(changed.status, changed.text).toBe(200);
    await t.mail.waitFor(u.email, { subject: /password/i, since: Date.now() - 1000 });
    await t.services.mailer.drain();
    // A finished guest-to-account move (decision 007), done now.
    const mergeNow = Date.now();
    await t.services.db.kysely
      .insertInto("anonymous_merge")
      .values({ anonymous_user_id: randomUUID(), target_user_id: u.userId, status: "done", attempts: 1, last_error: null, created_at: mergeNow, done_at: mergeNow })
      .execute();

    const start = await sizes(t);
    const now = Date.now();
    for (const table of ["session", "verification", "refresh_token", "used_token", "access_token_cutoff", "security_event", "mail_outbox", "anonymous_merge"] as const) {
      expect(start[table], table).toBeGreaterThan(0);
    }

    // Right now: nothing alive goes.
    await t.services.runMaintenance(now);
    const same = await sizes(t);
    expect({ ...same, rate_limit_counter: 0 }).toEqual({ ...start, rate_limit_counter: 0 });

    // +12 h: the rate-limit windows (minutes) are over, and the access-token cutoff refuses no
    // token still alive (15 min tokens); the rest stays.
    await t.services.runMaintenance(now + DAY / 2);
    expect(await sizes(t)).toEqual({ ...start, rate_limit_counter: 0, access_token_cutoff: 0 });

    // +4 days: the reset link (1 h) and the used-link record (2 days) are past expiry + 1 day.
    // Sessions (7 days) stay.
    await t.services.runMaintenance(now + 4 * DAY);
    expect(await sizes(t)).toEqual({ ...start, rate_limit_counter: 0, verification: 0, used_token: 0, access_token_cutoff: 0, anonymous_merge: 0 });

    // +9 days: sessions (7 days) are gone; refresh tokens (30 days) and the mail log stay.
    await t.services.runMaintenance(now + 9 * DAY);
    const day9 = await sizes(t);
    expect(day9).toMatchObject({ session: 0, refresh_token: start.refresh_token, mail_outbox: start.mail_outbox, user: start.user });

    // +32 days: the refresh-token family (30 days) and the mail log (30 days) are gone.
    await t.services.runMaintenance(now + 32 * DAY);
    expect(await sizes(t)).toMatchObject({ refresh_token: 0, mail_outbox: 0, security_event: start.security_event, user: start.user });

    // +366 days: the audit trail is past RETENTION_SECURITY_EVENT_DAYS. The account is not.
    await t.services.runMaintenance(now + 366 * DAY);
    expect(await sizes(t)).toMatchObject({ security_event: 0, user: start.user });
    expect((await t.services.db.kysely.selectFrom("user").select("id").where("id", "=", u.userId).execute()).length).toBe(1);
  });

  it("a failed mail keeps its record for operators but loses its body (a link) once past expiry", async () => {
    await t.services.mailer.drain();
    const db = t.services.db.kysely;
    const id = randomUUID();
    const now = Date.now();
    await db
      .insertInto("mail_outbox")
      .values({
        id,
        template: "reset-password",
        recipient_hash: "h",
        payload: JSON.stringify({ to: "x@example.com", subject: "s", text: "token=secret", html: "" }),
        status: "failed",
        attempts: 10,
        next_attempt_at: now,
        lease_owner: null,
        lease_until: null,
        last_error: "550",
        provider_id: null,
        created_at: now,
        updated_at: now,
        sent_at: null,
      })
      .execute();
    await t.services.runMaintenance(now + 2 * DAY);
    expect(await db.selectFrom("mail_outbox").select(["status", "payload"]).where("id", "=", id).executeTakeFirst()).toEqual({ status: "failed", payload: null });
  });
});

describe("retention on PostgreSQL runs on one instance at a time", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("postgres");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("while another instance holds the maintenance lock, retention is skipped; then it runs", async () => {
    const config = t.services.config.database;
    if (config.kind !== "postgres") throw new Error("expected PostgreSQL");
    const other = new pg.Client({ connectionString: config.url });
    await other.connect();
    try {
      await other.query("select pg_advisory_lock($1)", [MAINTENANCE_LOCK.toString()]);
      expect((await t.services.runMaintenance()).retention).toBeNull();
      await other.query("select pg_advisory_unlock($1)", [MAINTENANCE_LOCK.toString()]);
      expect((await t.services.runMaintenance()).retention).toMatchObject({ sessions: 0, securityEvents: 0 });
      // ...and it let go of the lock: another instance may take it now.
      expect((await other.query("select pg_try_advisory_lock($1) as locked", [MAINTENANCE_LOCK.toString()])).rows[0].locked).toBe(true);
    } finally {
      await other.end();
    }
  });
});

describe.each(DB_KINDS)("churn on %s: table sizes stay bounded", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { RETENTION_EXPIRED_DAYS: "2", MAIL_LOG_RETENTION_DAYS: "5", RETENTION_SECURITY_EVENT_DAYS: "10" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("60 simulated days of sign-ins, tokens, links, counters, mails and audit events: every table stops growing", async () => {
    const db = t.services.db.kysely;
    const users = await Promise.all([0, 1, 2].map(() => t.signedInUser()));
    const start = Date.now();
    const PER_DAY = 40;
    const history: Record<Table, number>[] = [];
    for (let day = 0; day < 60; day++) {
      const now = start + day * DAY;
      const iso = (ms: number) => new Date(ms).toISOString();
      for (let i = 0; i < PER_DAY; i++) {
        const userId = users[i % users.length]!.userId;
        const id = randomUUID();
        await db
          .insertInto("session")
          .values({ id, token: id, userId, expiresAt: iso(now + 7 * DAY), createdAt: iso(now), updatedAt: iso(now), ipAddress: null, userAgent: null, impersonatedBy: null })
          .execute();
        await db.insertInto("verification").values({ id, identifier: `reset-password:${id}`, value: userId, expiresAt: iso(now + 3_600_000), createdAt: iso(now), updatedAt: iso(now) }).execute();
        await db
          .insertInto("refresh_token")
          .values({ id, family_id: id, user_id: userId, token_hash: id, parent_id: null, rotated_at: null, revoked_at: null, revoked_reason: null, expires_at: now + 30 * DAY, created_at: now, ip: null, user_agent: null })
          .execute();
        await db.insertInto("used_token").values({ token_hash: id, purpose: "verify-email", expires_at: now + 2 * DAY }).execute();
        await db.insertInto("rate_limit_counter").values({ key: `ip:${id}`, count: 1, reset_at: now + 60_000 }).execute();
        await db.insertInto("security_event").values({ id, user_id: userId, type: "sign_in", ip: null, user_agent: null, detail: null, created_at: now }).execute();
        await db
          .insertInto("mail_outbox")
          .values({ id, template: "verify-email", recipient_hash: "h", payload: null, status: "sent", attempts: 1, next_attempt_at: now, lease_owner: null, lease_until: null, last_error: null, provider_id: null, created_at: now, updated_at: now, sent_at: now })
          .execute();
      }
      await db
        .insertInto("access_token_cutoff")
        .values({ user_id: users[day % users.length]!.userId, not_before: now })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ not_before: now }))
        .execute();
      await t.services.runMaintenance(now + DAY / 2);
      history.push(await sizes(t));
    }
    const last = history.at(-1)!;
    const bound = (days: number) => PER_DAY * (days + 1) + 50; // +50: the rows the three sign-ups left
    expect(last.session).toBeLessThanOrEqual(bound(7 + 2));
    expect(last.verification).toBeLessThanOrEqual(bound(2));
    expect(last.refresh_token).toBeLessThanOrEqual(bound(30 + 2));
    expect(last.used_token).toBeLessThanOrEqual(bound(2 + 2));
    expect(last.rate_limit_counter).toBeLessThanOrEqual(PER_DAY);
    expect(last.security_event).toBeLessThanOrEqual(bound(10));
    expect(last.mail_outbox).toBeLessThanOrEqual(bound(5));
    // Steady state: the last 20 days (past the longest window, 32 days) do not grow.
    for (const table of TABLES) {
      const tail = history.slice(-20).map((h) => h[table]);
      expect(Math.max(...tail) - Math.min(...tail), table).toBeLessThanOrEqual(PER_DAY);
    }
    expect(last.user).toBe(history[0]!.user);
  }, 120_000);
});
