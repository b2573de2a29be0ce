/**
 * The durable mail outbox against real databases (SQLite file, PostgreSQL) and a real SMTP
 * server: rows before answers, retries with backoff, failed mails for operators, each mail once
 * with several senders, nothing lost across a restart, no link left behind once delivered.
 */
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createMailOutbox, outboxStatus, recipientHash, retryFailed, type MailOutbox } from "./mail-outbox.ts";
import { createMailer, type EmailMessage, type EmailTransport, type Mailer } from "./send-email.ts";
import { resetPasswordMessage, verifyEmailMessage } from "./templates.ts";
import { memoryLogger } from "../../../test/support/logger.ts";
import { testDatabase } from "../../../test/support/database.ts";
import { startMailCatcher } from "../../../test/support/smtp.ts";
import type { Db } from "../db/index.ts";

const TOKEN = "tok_0utb0x_s3cret";
const LINK = `https://book.example/api/auth/verify-email?token=${TOKEN}`;
const message = (to: string, subject?: string): EmailMessage => {
  const m = verifyEmailMessage({ to, name: "Reader", url: LINK, expiresInMinutes: 60 });
  return subject ? { ...m, subject } : m;
};

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function smtpMailer(url: string, log = memoryLogger()): Mailer {
  return createMailer({ from: "AI Book <no-reply@book.example>", smtpUrl: url, outboxDir: "/nonexistent", logger: log.logger });
}

function outbox(db: Db, mailer: Mailer, opts: Partial<Parameters<typeof createMailOutbox>[0]> = {}): MailOutbox {
  const box = createMailOutbox({
    db: db.kysely,
    dialect: db.kind,
    mailer,
    logger: opts.logger ?? memoryLogger().logger,
    instance: opts.instance ?? "test-host:1",
    secret: "outbox-test-secret-0123456789abcdef",
    baseDelayMs: 10,
    pollMs: 10,
    ...opts,
  });
  cleanups.push(() => box.close());
  return box;
}

const rows = (db: Db) => db.kysely.selectFrom("mail_outbox").selectAll().orderBy("created_at").execute();

async function until(check: () => Promise<boolean> | boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(["sqlite", "postgres"] as const)("mail outbox on %s", (kind) => {
  async function database() {
    const d = await testDatabase(kind);
    cleanups.unshift(() => d.close()); // closed after the outboxes that use it
    return d;
  }

  it("writes the row before enqueue resolves; once delivered, the row keeps no address and no link", async () => {
    const { db } = await database();
    const smtp = await startMailCatcher();
    cleanups.push(() => smtp.close());
    const box = outbox(db, smtpMailer(smtp.url)); // not started: nothing is sent yet
    await box.enqueue(message("reader@book.example"));
    const [pending] = await rows(db);
    expect(pending).toMatchObject({ status: "pending", template: "verify-email", attempts: 0 });
    expect(pending!.payload).toContain(TOKEN);

    box.start();
    await until(() => smtp.mails.length === 1);
    expect(smtp.mails[0]!.text).toContain(LINK);
    await until(async () => (await rows(db))[0]!.status === "sent");
    const [sent] = await rows(db);
    expect(sent).toMatchObject({ status: "sent", attempts: 1, payload: null, last_error: null });
    expect(sent!.sent_at).toBeGreaterThanOrEqual(sent!.created_at);
    // Keyed: a dump alone cannot confirm a guessed address.
    expect(sent!.recipient_hash).toBe(recipientHash("outbox-test-secret-0123456789abcdef", "Reader@Book.example"));
    expect(sent!.recipient_hash).not.toBe(createHash("sha256").update("reader@book.example").digest("base64url").slice(0, 22));
    expect(JSON.stringify(sent)).not.toContain("reader@book.example");
    expect(JSON.stringify(sent)).not.toContain(TOKEN);
  });

  it("retries transient SMTP failures with backoff, and logs neither the link nor the address", async () => {
    const { db } = await database();
    const smtp = await startMailCatcher({ rejectFirst: 2 });
    cleanups.push(() => smtp.close());
    const log = memoryLogger();
    const box = outbox(db, smtpMailer(smtp.url, log), { logger: log.logger });
    box.start();
    await box.enqueue(message("alice@book.example"));
    await until(() => smtp.mails.length === 1);
    expect(smtp.dataCommands).toBe(3);
    await until(async () => (await rows(db))[0]!.status === "sent");
    expect((await rows(db))[0]!.attempts).toBe(3);
    expect(log.raw()).not.toContain(TOKEN);
    expect(log.raw()).not.toContain("alice@book.example");
    expect(log.entries().filter((e) => e.msg === "email send failed")).toHaveLength(2);
  });

  it("backs off exponentially between tries", async () => {
    const { db } = await database();
    const times: number[] = [];
    const failing: EmailTransport = {
      name: "smtp",
      async send() {
        times.push(performance.now());
        return { ok: false, error: "421 try later" };
      },
    };
    const mailer = createMailer({ from: "x@y.z", outboxDir: "/x", logger: memoryLogger().logger, transport: failing });
    const box = outbox(db, mailer, { baseDelayMs: 40, maxAttempts: 4 });
    box.start();
    await box.enqueue(message("bob@book.example"));
    await until(async () => (await rows(db))[0]!.status === "failed");
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((x, i) => x - times[i]!);
    // jittered in [d/2, d] for d = 40, 80, 160
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
  });

  it("after the last try: failed, logged at error, listed for operators, and sent again on retry", async () => {
    const { db } = await database();
    const smtp = await startMailCatcher({ rejectFirst: 3 });
    cleanups.push(() => smtp.close());
    const log = memoryLogger();
    const box = outbox(db, smtpMailer(smtp.url, log), { logger: log.logger, maxAttempts: 3 });
    box.start();
    await box.enqueue(resetPasswordMessage({ to: "carol@book.example", name: "Carol", url: LINK, expiresInMinutes: 60 }));
    await until(async () => (await rows(db))[0]!.status === "failed");
    const failed = (await rows(db))[0]!;
    expect(failed).toMatchObject({ attempts: 3, status: "failed" });
    expect(failed.last_error).toContain("451");
    const errors = log.entries().filter((e) => e.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ tag: "reset-password", to: "c***@book.example", id: failed.id });

    const status = await outboxStatus(db.kysely);
    expect(status.counts).toMatchObject({ failed: 1, sent: 0 });
    expect(status.attention).toEqual([expect.objectContaining({ id: failed.id, template: "reset-password", to: "c***@book.example", attempts: 3 })]);
    expect(JSON.stringify(status)).not.toContain(TOKEN);

    expect(await retryFailed(db.kysely, failed.id)).toBe(1);
    await until(() => smtp.mails.length === 1);
    await until(async () => (await rows(db))[0]!.status === "sent");
    expect(await retryFailed(db.kysely, failed.id)).toBe(0); // sent: nothing to retry
  });

  it("a permanent failure is not retried; an invalid message is never written", async () => {
    const { db } = await database();
    const sent: string[] = [];
    const refusing: EmailTransport = {
      name: "resend",
      async send(m) {
        sent.push(m.to);
        return { ok: false, error: "HTTP 422 validation_error", permanent: true };
      },
    };
    const log = memoryLogger();
    const box = outbox(db, createMailer({ from: "x@y.z", outboxDir: "/x", logger: log.logger, transport: refusing }), { logger: log.logger });
    box.start();
    await box.enqueue(message("dave@book.example"));
    await until(async () => (await rows(db))[0]?.status === "failed");
    expect(sent).toHaveLength(1);

    await box.enqueue({ ...message("x@book.example"), to: "x@book.example\r\nBcc: victim@example.com" });
    await box.enqueue({ ...message("y@book.example"), tag: "nope" as EmailMessage["tag"] });
    expect(await rows(db)).toHaveLength(1);
    expect(log.raw()).not.toContain("victim@example.com");
  });

  it("a mail written in a transaction exists only if the transaction commits", async () => {
    const { db } = await database();
    const box = outbox(db, smtpMailer("smtp://127.0.0.1:1"));
    await db.kysely.transaction().execute(async (trx) => {
      await box.enqueue(message("committed@book.example"), { db: trx });
    });
    await db.kysely
      .transaction()
      .execute(async (trx) => {
        await box.enqueue(message("rolled-back@book.example"), { db: trx });
        throw new Error("the change failed");
      })
      .catch(() => {});
    const all = await rows(db);
    expect(all).toHaveLength(1);
    expect(all[0]!.payload).toContain("committed@book.example");
  });

  it("a restart loses nothing: mails left pending, and one a dead process was sending, go out from the next process", async () => {
    const { db } = await database();
    const smtp = await startMailCatcher();
    cleanups.push(() => smtp.close());
    const first = outbox(db, smtpMailer(smtp.url)); // never started: the process "died" before sending
    await first.enqueue(message("one@book.example", "one"));
    await first.enqueue(message("two@book.example", "two"));
    // A third was being sent by a dead process of this instance: its lease has not lapsed yet.
    await first.enqueue(message("three@book.example", "three"));
    await db.kysely
      .updateTable("mail_outbox")
      .set({ status: "sending", lease_owner: "test-host:1/999.dead", lease_until: Date.now() + 3_600_000, attempts: 1 })
      .where("payload", "like", "%three@%")
      .execute();
    await first.close();

    const next = outbox(db, smtpMailer(smtp.url));
    next.start();
    await until(() => smtp.mails.length === 3);
    expect(smtp.mails.map((m) => m.subject).sort()).toEqual(["one", "three", "two"]);
  });

  it("takes back only its own instance's dead leases (names with _ or % are not patterns); a mail whose tries never answer fails", async () => {
    const { db } = await database();
    const smtp = await startMailCatcher();
    cleanups.push(() => smtp.close());
    const setup = outbox(db, smtpMailer(smtp.url));
    for (const subject of ["mine", "lookalike", "stripped", "exhausted"]) await setup.enqueue(message(`${subject}@book.example`, subject));
    const lease = (subject: string, owner: string, attempts = 1) =>
      db.kysely
        .updateTable("mail_outbox")
        .set({ status: "sending", lease_owner: owner, lease_until: Date.now() + 3_600_000, attempts })
        .where("payload", "like", `%${subject}@%`)
        .execute();
    await lease("mine", "web_1:7860/111.dead");
    // Live leases of other instances: "web_1" as a LIKE pattern matches "webX1"; stripped of "_" it is "web1".
    await lease("lookalike", "webX1:7860/222.alive");
    await lease("stripped", "web1:7860/444.alive");
    await lease("exhausted", "web_1:7860/333.dead", 3);
    await setup.close();

    const box = outbox(db, smtpMailer(smtp.url), { instance: "web_1:7860", maxAttempts: 3 });
    box.start();
    await until(() => smtp.mails.length === 1);
    await until(async () => (await rows(db)).some((r) => r.status === "failed"));
    await new Promise((r) => setTimeout(r, 100));
    expect(smtp.mails.map((m) => m.subject)).toEqual(["mine"]);
    const bySubject = Object.fromEntries((await rows(db)).map((r) => [r.payload ? JSON.parse(r.payload).subject : "sent", r]));
    expect(bySubject.lookalike).toMatchObject({ status: "sending", lease_owner: "webX1:7860/222.alive" });
    expect(bySubject.stripped).toMatchObject({ status: "sending", lease_owner: "web1:7860/444.alive" });
    expect(bySubject.exhausted).toMatchObject({ status: "failed", last_error: expect.stringContaining("gave up") });
  });

  it("two senders on one database: every mail exactly once", async () => {
    const d = await database();
    const smtp = await startMailCatcher();
    cleanups.push(() => smtp.close());
    const a = outbox(d.db, smtpMailer(smtp.url), { instance: "host-a:1", batchSize: 5 });
    const b = outbox(d.open(), smtpMailer(smtp.url), { instance: "host-b:1", batchSize: 5 });
    const subjects = Array.from({ length: 120 }, (_, i) => `mail ${i}`);
    // Written by both, sent by both at once.
    await Promise.all(subjects.map((s, i) => (i % 2 ? a : b).enqueue(message(`r${i}@book.example`, s))));
    a.start();
    b.start();
    await until(() => smtp.mails.length >= subjects.length, 30_000);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
    const received = smtp.mails.map((m) => m.subject ?? "");
    expect(received).toHaveLength(subjects.length);
    expect(new Set(received).size).toBe(subjects.length);
    const counts = await sql<{ status: string; n: number }>`select status, count(*) as n from mail_outbox group by status`.execute(d.db.kysely);
    expect(counts.rows.map((r) => [r.status, Number(r.n)])).toEqual([["sent", subjects.length]]);
  });
});
