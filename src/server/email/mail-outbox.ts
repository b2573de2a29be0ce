/**
 * The durable mail outbox. A mail is a row in `mail_outbox` before the answer that caused it
 * leaves (in the caller's transaction when it passes one), and a sender in every instance
 * delivers due rows with retries and exponential backoff. A restart or `kill -9` loses nothing:
 * the row is still there, and a lapsed lease makes it due again.
 *
 * - Several instances: a row is claimed with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
 *   two senders never take the same row; SQLite: one writer at a time), so each mail goes out
 *   once. A process that dies mid-send leaves a lease that lapses; the mail is then sent again
 *   (at least once, never lost).
 * - Links are secrets: once delivered, the address and body are deleted; the row keeps the
 *   template, a hash of the recipient, status and times for operators (`npm run mail`).
 * - After the last attempt a mail is `failed`, logged at error, listed by `npm run mail -- status`
 *   and sent again by `npm run mail -- retry <id>`.
 */
import { createHmac } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database, MailStatus } from "../db/schema.ts";
import { uuidV7 } from "../tokens/access-token-claims.ts";
import { messageError, redactEmail, scrubErrorMessage, type EmailMessage, type EmailTag, type Mailer } from "./send-email.ts";

export interface MailOutboxOptions {
  db: Kysely<Database>;
  dialect: "sqlite" | "postgres";
  /** Sends one mail now (transport, validation, logging); the outbox adds durability and retries. */
  mailer: Mailer;
  logger: Logger;
  /** Who holds a lease: `<instance>/<process>`; leases of this instance's earlier processes are taken back at start. */
  instance: string;
  /** Keys the recipient hash kept after delivery (a plain hash of an address can be reversed by guessing). */
  secret: string;
  /** Tries per mail before it is marked failed (default 10). */
  maxAttempts?: number;
  /** First retry after this long, doubling each time (with jitter), at most `maxDelayMs` (default 5 s, 30 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed mail is ours before another sender may take it (default 2 min; above the SMTP timeouts). */
  leaseMs?: number;
  /** How often to look for due mails (retries, other processes' leftovers); default 2 s. */
  pollMs?: number;
  /** Mails claimed and sent together (default 10). */
  batchSize?: number;
  now?: () => number;
}

export interface MailOutbox {
  transport: Mailer["transport"];
  /**
   * Write the mail to the outbox; resolves once the row is written (inside `db` when it is a
   * transaction: the mail then exists if and only if the change that caused it commits).
   * Delivery happens in the background. An invalid message is logged and not written.
   */
  enqueue(msg: EmailMessage, opts?: { db?: Kysely<Database> }): Promise<void>;
  /** Start sending (timer). Mails written before start are sent too. */
  start(): void;
  /** Deliver everything due now, and wait for it (tests, shutdown). */
  drain(): Promise<void>;
  /** Stop the sender: no new claims; sends in flight finish. Pending rows stay for the next start. */
  close(): Promise<void>;
}

export interface OutboxRowSummary {
  id: string;
  template: string;
  status: MailStatus;
  to: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  nextAttemptAt: number;
}

interface Payload {
  to: string;
  subject: string;
  text: string;
  html: string;
}

interface ClaimedRow {
  id: string;
  template: string;
  payload: string | null;
  attempts: number;
}

/** What a delivered mail keeps of its recipient: enough to answer "did we mail this address?", given the address and the secret. */
export const recipientHash = (secret: string, to: string) =>
  createHmac("sha256", secret).update(`mail-recipient:${to.trim().toLowerCase()}`).digest("base64url").slice(0, 22);

export function createMailOutbox(options: MailOutboxOptions): MailOutbox {
  const { db, mailer } = options;
  const log = options.logger.child({ module: "mail-outbox" });
  const now = options.now ?? (() => Date.now());
  const maxAttempts = options.maxAttempts ?? 10;
  const baseDelayMs = options.baseDelayMs ?? 5_000;
  const maxDelayMs = options.maxDelayMs ?? 30 * 60_000;
  const leaseMs = options.leaseMs ?? 120_000;
  const pollMs = options.pollMs ?? 2_000;
  const batchSize = options.batchSize ?? 10;
  const owner = `${options.instance}/${process.pid}.${Math.random().toString(36).slice(2, 8)}`;

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let pumping: Promise<void> | undefined;
  let again = false;

  async function enqueue(msg: EmailMessage, opts: { db?: Kysely<Database> } = {}): Promise<void> {
    const problem = messageError(msg);
    if (problem) {
      log.error({ tag: (msg as { tag?: unknown })?.tag, error: problem }, "email rejected; not queued");
      return;
    }
    const t = now();
    const payload: Payload = { to: msg.to, subject: msg.subject, text: msg.text, html: msg.html };
    await (opts.db ?? db)
      .insertInto("mail_outbox")
      .values({
        id: uuidV7(t),
        template: msg.tag,
        recipient_hash: recipientHash(options.secret, msg.to),
        payload: JSON.stringify(payload),
        status: "pending",
        attempts: 0,
        next_attempt_at: t,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        provider_id: null,
        created_at: t,
        updated_at: t,
        sent_at: null,
      })
      .execute();
    // In a caller's transaction the row is not visible until it commits: the poll finds it then.
    if (!opts.db) kick();
  }

  /** Take up to `batchSize` due mails: pending and due, or sending with a lapsed lease. */
  async function claim(): Promise<ClaimedRow[]> {
    const t = now();
    const due = sql`(status = 'pending' and next_attempt_at <= ${t}) or (status = 'sending' and lease_until <= ${t})`;
    // Most polls find nothing: ask with a read first, so an idle instance never takes SQLite's write lock.
    const any = await sql`select 1 from mail_outbox where ${due} limit 1`.execute(db);
    if (any.rows.length === 0) return [];
    const lock = options.dialect === "postgres" ? sql`for update skip locked` : sql``;
    const result = await sql<ClaimedRow>`
      update mail_outbox
         set status = 'sending', lease_owner = ${owner}, lease_until = ${t + leaseMs}, attempts = attempts + 1, updated_at = ${t}
       where id in (select id from mail_outbox where ${due} order by next_attempt_at limit ${batchSize} ${lock})
      returning id, template, payload, attempts`.execute(db);
    return result.rows;
  }

  function backoff(failedAttempts: number): number {
    const exp = Math.min(baseDelayMs * 2 ** (failedAttempts - 1), maxDelayMs);
    return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter": [exp/2, exp]
  }

  const updateRow = () => db.updateTable("mail_outbox");

  async function deliver(row: ClaimedRow): Promise<void> {
    const meta = { id: row.id, tag: row.template, attempt: row.attempts };
    if (row.attempts > maxAttempts) {
      // Claimed again after every try ended without an answer (the send threw, or its process died).
      const t = now();
      await updateRow()
        .set({ status: "failed", updated_at: t, lease_owner: null, lease_until: null, last_error: "gave up: no try came back with an answer" })
        .where("id", "=", row.id)
        .where("lease_owner", "=", owner)
        .execute();
      log.error({ ...meta }, "email failed; `npm run mail -- status` lists it, `npm run mail -- retry <id>` sends it again");
      return;
    }
    let payload: Payload | null = null;
    try {
      payload = row.payload ? (JSON.parse(row.payload) as Payload) : null;
    } catch {
      payload = null;
    }
    const result = payload
      ? await mailer.sendEmail({ ...payload, tag: row.template as EmailTag }, { idempotencyKey: `mail/${row.id}` })
      : ({ ok: false, error: "no message body (already delivered or purged)", permanent: true } as const);
    const t = now();
    const mine = (q: ReturnType<typeof updateRow>) => q.where("id", "=", row.id).where("lease_owner", "=", owner).where("status", "=", "sending");
    if (result.ok) {
      // The link is a secret: the address and body go once the mail is out.
      await mine(updateRow().set({ status: "sent", payload: null, sent_at: t, updated_at: t, lease_owner: null, lease_until: null, last_error: null, provider_id: result.id?.slice(0, 200) ?? null })).execute();
      return;
    }
    const error = scrubErrorMessage(result.error);
    const last = result.permanent === true || row.attempts >= maxAttempts;
    if (last) {
      await mine(updateRow().set({ status: "failed", updated_at: t, lease_owner: null, lease_until: null, last_error: error })).execute();
      log.error(
        { ...meta, to: payload ? redactEmail(payload.to) : undefined, error, permanent: result.permanent === true },
        "email failed; `npm run mail -- status` lists it, `npm run mail -- retry <id>` sends it again",
      );
      return;
    }
    const delay = backoff(row.attempts);
    await mine(updateRow().set({ status: "pending", next_attempt_at: t + delay, updated_at: t, lease_owner: null, lease_until: null, last_error: error })).execute();
    log.info({ ...meta, retryInMs: delay }, "email will be retried");
  }

  /** Claim and send until nothing is due. One pump at a time per process; a kick during it runs it again. */
  function pump(): Promise<void> {
    if (pumping) {
      again = true;
      return pumping;
    }
    pumping = (async () => {
      try {
        do {
          again = false;
          for (;;) {
            if (closed) return;
            const rows = await claim();
            if (rows.length === 0) break;
            await Promise.all(
              rows.map((row) =>
                deliver(row).catch((err: unknown) => {
                  // The row stays `sending`; its lease lapses and another pass sends it.
                  log.error({ id: row.id, err: scrubErrorMessage(err instanceof Error ? err.message : String(err)) }, "email delivery crashed");
                }),
              ),
            );
          }
        } while (again && !closed);
      } catch (err) {
        // Database down: the timer tries again.
        log.warn({ err: scrubErrorMessage(err instanceof Error ? err.message : String(err)) }, "mail outbox unavailable; will retry");
      } finally {
        pumping = undefined;
      }
    })();
    return pumping;
  }

  function kick() {
    if (closed || timer === undefined) return;
    setImmediate(() => void pump());
  }

  const ownPrefix = `${options.instance}/`;
  async function recoverOwnLeases() {
    // A process of this instance that died (kill -9) mid-send: its mails are due now, not after the lease.
    const t = now();
    await db
      .updateTable("mail_outbox")
      .set({ status: "pending", next_attempt_at: t, lease_owner: null, lease_until: null, updated_at: t })
      .where("status", "=", "sending")
      .where(sql<boolean>`substr(lease_owner, 1, ${ownPrefix.length}) = ${ownPrefix}`)
      .where("lease_owner", "!=", owner)
      .execute();
  }

  return {
    transport: mailer.transport,
    enqueue,
    start() {
      if (timer || closed) return;
      timer = setInterval(() => void pump(), pollMs);
      timer.unref();
      void recoverOwnLeases()
        .catch((err: unknown) => log.warn({ err: String(err) }, "could not take back this instance's mail leases"))
        .then(() => pump());
    },
    async drain() {
      while (pumping) await pumping;
      await pump();
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      while (pumping) await pumping;
      await mailer.close();
    },
  };
}

/** Operators' view (`npm run mail -- status`): counts by status and the mails that need a look. */
export async function outboxStatus(db: Kysely<Database>, limit = 50): Promise<{ counts: Record<MailStatus, number>; attention: OutboxRowSummary[] }> {
  const rows = await db.selectFrom("mail_outbox").select(["status", (eb) => eb.fn.countAll<number>().as("n")]).groupBy("status").execute();
  const counts: Record<MailStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  const attention = await db
    .selectFrom("mail_outbox")
    .selectAll()
    .where("status", "in", ["failed", "pending", "sending"])
    .orderBy("status")
    .orderBy("created_at", "desc")
    .limit(limit)
    .execute();
  return {
    counts,
    attention: attention.map((r) => ({
      id: r.id,
      template: r.template,
      status: r.status,
      to: payloadAddress(r.payload),
      attempts: r.attempts,
      lastError: r.last_error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      nextAttemptAt: r.next_attempt_at,
    })),
  };
}

/** A failed mail (or every failed one) becomes pending again, with a fresh set of tries. */
export async function retryFailed(db: Kysely<Database>, id: string | "all", now = Date.now()): Promise<number> {
  let q = db
    .updateTable("mail_outbox")
    .set({ status: "pending", attempts: 0, next_attempt_at: now, updated_at: now, last_error: null })
    .where("status", "=", "failed")
    .where("payload", "is not", null);
  if (id !== "all") q = q.where("id", "=", id);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows ?? 0);
}

function payloadAddress(payload: string | null): string | null {
  if (!payload) return null;
  try {
    const to = (JSON.parse(payload) as { to?: unknown }).to;
    return typeof to === "string" ? redactEmail(to) : null;
  } catch {
    return null;
  }
}
