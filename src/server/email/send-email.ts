/**
 * Outgoing email for the auth system: transport selection (SMTP > Resend > outbox),
 * immediate sends, and an in-memory retry queue for background delivery.
 *
 * Logging rules: recipients are always redacted (`a***@example.com`), and message
 * bodies, links and tokens are never logged here. The one exception is the outbox
 * transport (development only), which logs the link so a developer can click it.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createOutboxTransport } from "./transports/outbox.ts";
import { createResendTransport } from "./transports/resend.ts";
import { createSmtpTransport } from "./transports/smtp.ts";

export type EmailTag =
  | "verify-email"
  | "reset-password"
  | "password-changed"
  | "change-email"
  | "delete-account"
  | "email-changed";

export const EMAIL_TAGS: readonly EmailTag[] = [
  "verify-email",
  "reset-password",
  "password-changed",
  "change-email",
  "delete-account",
  "email-changed",
];

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  tag: EmailTag;
}

/**
 * `permanent: true` on a failure means retrying cannot help (e.g. Resend 4xx other than
 * 429, SMTP 5xx, invalid recipient). Absent means "may be retried".
 */
export type SendResult = { ok: true; id: string } | { ok: false; error: string; permanent?: boolean };

/** What a transport receives: a validated message plus the sender. */
export interface OutgoingEmail extends EmailMessage {
  from: string;
  /** Stable across retries of one message; used by Resend's Idempotency-Key header. */
  idempotencyKey?: string;
}

export interface EmailTransport {
  name: "smtp" | "resend" | "outbox";
  send(msg: OutgoingEmail): Promise<SendResult>;
  close?(): Promise<void>;
}

export interface MailerOptions {
  /** EMAIL_FROM, e.g. 'AI Book <no-reply@localhost>' */
  from: string;
  /** SMTP_URL, e.g. smtp://user:pass@host:587 or smtps://... */
  smtpUrl?: string;
  /** RESEND_API_KEY */
  resendApiKey?: string;
  /** Default 'https://api.resend.com' */
  resendBaseUrl?: string;
  /** e.g. ./data/outbox */
  outboxDir: string;
  /** Log each outbox mail's link (development only: a link is a secret; never in production). */
  logOutboxLinks?: boolean;
  logger: Logger;
  /** Default 5 attempts, 1000 ms base, exponential with jitter. */
  retry?: { attempts: number; baseDelayMs: number };
  /** Max queued (pending + retrying) messages; further enqueues are dropped and logged. Default 1000. */
  maxQueueSize?: number;
  /** Use this transport instead of choosing one from the options (tests, custom providers). */
  transport?: EmailTransport;
}

export interface Mailer {
  transport: EmailTransport["name"];
  /** Send now and report the result (no retry). */
  sendEmail(msg: EmailMessage): Promise<SendResult>;
  /**
   * Queue for background delivery with retries; never throws, never blocks the caller.
   * Failures are logged (warn per failed attempt, error when given up) with the tag and a
   * redacted recipient, never the link/token.
   */
  enqueue(msg: EmailMessage): void;
  /** Resolves when the queue is empty (for tests and graceful shutdown). */
  drain(): Promise<void>;
  /**
   * Stops accepting messages, abandons pending retries (logged at error), waits for sends
   * already in flight, then closes the transport. Call `drain()` first to deliver everything.
   */
  close(): Promise<void>;
}

const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 1000 } as const;
const MAX_RETRY_DELAY_MS = 5 * 60_000;
const DEFAULT_MAX_QUEUE = 1000;
const MAX_ADDRESS_LENGTH = 254;

/** 'alice@example.com' -> 'a***@example.com'. Safe to log. */
export function redactEmail(email: string): string {
  const s = String(email ?? "").replace(/[\u0000-\u001f\u007f]/g, "");
  const at = s.lastIndexOf("@");
  if (at < 0) return "***";
  const first = [...s.slice(0, at)][0] ?? "";
  return `${first}***@${s.slice(at + 1, at + 1 + 253)}`;
}

/** Collapse CR/LF and other control characters to single spaces (header injection guard). */
export function sanitizeHeaderValue(value: string): string {
  return String(value ?? "")
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}

// One bare address, no display name, no lists. Excludes whitespace/control chars (so CR/LF),
// and the characters that would let a string become several recipients or a display name.
const ADDRESS_RE = /^[^\s\u0000-\u001f\u007f@<>()[\]\\,;:"]+@[^\s\u0000-\u001f\u007f@<>()[\]\\,;:"]+$/u;

/** Returns an error message if `to` is not a single plain address, otherwise null. */
export function recipientError(to: unknown): string | null {
  if (typeof to !== "string" || to.length === 0) return "invalid recipient: missing";
  if (/[\r\n]/.test(to)) return "invalid recipient: contains a line break";
  if (to.length > MAX_ADDRESS_LENGTH || !ADDRESS_RE.test(to)) return "invalid recipient address";
  return null;
}

function isEmailTag(tag: unknown): tag is EmailTag {
  return typeof tag === "string" && (EMAIL_TAGS as readonly string[]).includes(tag);
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === "string") return err;
  return "unknown error";
}

/** Strip things that must not reach logs or callers from an error string: URLs (tokens), full addresses. */
export function scrubErrorMessage(message: string): string {
  return String(message ?? "")
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+/gi, "[url]")
    .replace(/[^\s<>"'(),;:[\]]+@[^\s<>"'(),;:[\]]+/g, (m) => redactEmail(m))
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .slice(0, 500);
}

type Prepared = { ok: true; msg: OutgoingEmail } | { ok: false; error: string };

function prepare(raw: EmailMessage, from: string): Prepared {
  if (!raw || typeof raw !== "object") return { ok: false, error: "invalid message" };
  const toError = recipientError(raw.to);
  if (toError) return { ok: false, error: toError };
  if (!isEmailTag(raw.tag)) return { ok: false, error: "invalid message: unknown tag" };
  if (typeof raw.subject !== "string" || typeof raw.text !== "string" || typeof raw.html !== "string") {
    return { ok: false, error: "invalid message: subject, text and html must be strings" };
  }
  const subject = sanitizeHeaderValue(raw.subject);
  if (!subject) return { ok: false, error: "invalid message: empty subject" };
  return {
    ok: true,
    msg: {
      to: raw.to,
      subject,
      text: raw.text,
      html: raw.html,
      tag: raw.tag,
      from,
      idempotencyKey: `${raw.tag}/${randomUUID()}`,
    },
  };
}

function safeTag(raw: unknown): string | undefined {
  const tag = (raw as { tag?: unknown } | null | undefined)?.tag;
  return isEmailTag(tag) ? tag : undefined;
}

function safeTo(raw: unknown): string | undefined {
  const to = (raw as { to?: unknown } | null | undefined)?.to;
  return typeof to === "string" ? redactEmail(to) : undefined;
}

function smtpHost(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

function selectTransport(options: MailerOptions, log: Logger): EmailTransport {
  const smtpUrl = options.smtpUrl?.trim();
  const resendApiKey = options.resendApiKey?.trim();
  if (smtpUrl) {
    if (resendApiKey) log.info("both SMTP_URL and RESEND_API_KEY are set; using SMTP");
    log.info({ transport: "smtp", host: smtpHost(smtpUrl) }, "email transport selected");
    return createSmtpTransport({ url: smtpUrl });
  }
  if (resendApiKey) {
    log.info({ transport: "resend" }, "email transport selected");
    return createResendTransport({ apiKey: resendApiKey, baseUrl: options.resendBaseUrl });
  }
  const logLinks = options.logOutboxLinks ?? process.env.NODE_ENV !== "production";
  const outboxLog = logLinks ? log.info.bind(log) : log.warn.bind(log);
  outboxLog(
    { transport: "outbox", dir: options.outboxDir },
    logLinks
      ? "no SMTP_URL or RESEND_API_KEY set; emails are written to the outbox and their links logged (development only)"
      : "no SMTP_URL or RESEND_API_KEY set; emails are written to the outbox and nobody receives them",
  );
  return createOutboxTransport({ dir: options.outboxDir, logger: log, logLinks });
}

function normalizeRetry(retry: MailerOptions["retry"]): { attempts: number; baseDelayMs: number } {
  const attempts = Math.floor(retry?.attempts ?? DEFAULT_RETRY.attempts);
  const baseDelayMs = retry?.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  return {
    attempts: Number.isFinite(attempts) && attempts >= 1 ? attempts : DEFAULT_RETRY.attempts,
    baseDelayMs: Number.isFinite(baseDelayMs) && baseDelayMs >= 0 ? baseDelayMs : DEFAULT_RETRY.baseDelayMs,
  };
}

export function createMailer(options: MailerOptions): Mailer {
  const log = options.logger.child({ module: "email" });
  const from = sanitizeHeaderValue(options.from);
  if (!from) throw new Error("email: EMAIL_FROM (options.from) must be set");
  const retry = normalizeRetry(options.retry);
  const maxQueue = options.maxQueueSize ?? DEFAULT_MAX_QUEUE;
  const transport = options.transport ?? selectTransport(options, log);

  const jobs = new Set<Promise<void>>(); // queued messages, including those waiting to retry
  const inflight = new Set<Promise<unknown>>(); // sendEmail() calls in progress
  const sleepers = new Set<() => void>();
  let closed = false;
  let closing: Promise<void> | undefined;

  const safeLog = (level: "info" | "warn" | "error", obj: object, msg: string): void => {
    try {
      log[level](obj, msg);
    } catch {
      // a broken log stream must not break mail delivery or the caller
    }
  };

  /** One transport call; never throws, even if the transport throws synchronously. */
  async function attempt(msg: OutgoingEmail): Promise<SendResult> {
    let result: SendResult;
    try {
      result = await transport.send(msg);
    } catch (err) {
      result = { ok: false, error: errorMessage(err) };
    }
    if (!result || typeof result !== "object" || typeof result.ok !== "boolean") {
      return { ok: false, error: "transport returned no result" };
    }
    if (!result.ok) return { ...result, error: scrubErrorMessage(result.error) };
    return result;
  }

  function backoff(failedAttempts: number): number {
    const exp = Math.min(retry.baseDelayMs * 2 ** (failedAttempts - 1), MAX_RETRY_DELAY_MS);
    return Math.round(exp / 2 + Math.random() * (exp / 2)); // "equal jitter": [exp/2, exp]
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  async function deliver(raw: EmailMessage): Promise<void> {
    const prepared = prepare(raw, from);
    const meta = { tag: safeTag(raw), to: safeTo(raw) };
    if (!prepared.ok) {
      safeLog("error", { ...meta, error: prepared.error }, "email rejected; not sending");
      return;
    }
    const msg = prepared.msg;
    for (let n = 1; n <= retry.attempts; n++) {
      if (closed) {
        safeLog("error", { ...meta, attempts: n - 1 }, "email given up: mailer closed before delivery");
        return;
      }
      const result = await attempt(msg);
      if (result.ok) {
        safeLog("info", { ...meta, id: result.id, attempt: n }, "email sent");
        return;
      }
      const last = result.permanent === true || n >= retry.attempts;
      const delay = last ? undefined : backoff(n);
      safeLog(
        "warn",
        { ...meta, attempt: n, attempts: retry.attempts, error: result.error, permanent: result.permanent === true, retryInMs: delay },
        "email send attempt failed",
      );
      if (last) {
        safeLog(
          "error",
          { ...meta, attempts: n, error: result.error, permanent: result.permanent === true },
          result.permanent ? "email failed permanently; not retrying" : "email given up after retries",
        );
        return;
      }
      await sleep(delay ?? 0);
    }
  }

  function enqueue(msg: EmailMessage): void {
    try {
      if (closed) {
        safeLog("error", { tag: safeTag(msg), to: safeTo(msg) }, "email dropped: mailer is closed");
        return;
      }
      if (jobs.size >= maxQueue) {
        safeLog("error", { tag: safeTag(msg), to: safeTo(msg), queued: jobs.size }, "email dropped: queue is full");
        return;
      }
      // Start on a later turn of the event loop so the caller's response is never delayed.
      const job: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => deliver(msg))
        .catch((err: unknown) => {
          safeLog("error", { tag: safeTag(msg), error: scrubErrorMessage(errorMessage(err)) }, "email delivery crashed");
        })
        .finally(() => {
          jobs.delete(job);
        });
      jobs.add(job);
    } catch (err) {
      safeLog("error", { error: scrubErrorMessage(errorMessage(err)) }, "email enqueue failed");
    }
  }

  async function sendEmail(raw: EmailMessage): Promise<SendResult> {
    const meta = { tag: safeTag(raw), to: safeTo(raw) };
    if (closed) return { ok: false, error: "mailer is closed", permanent: true };
    const prepared = prepare(raw, from);
    if (!prepared.ok) {
      safeLog("warn", { ...meta, error: prepared.error }, "email rejected; not sending");
      return { ok: false, error: prepared.error, permanent: true };
    }
    const p = attempt(prepared.msg);
    inflight.add(p);
    try {
      const result = await p;
      if (result.ok) safeLog("info", { ...meta, id: result.id }, "email sent");
      else safeLog("warn", { ...meta, error: result.error, permanent: result.permanent === true }, "email send failed");
      return result;
    } finally {
      inflight.delete(p);
    }
  }

  async function drain(): Promise<void> {
    while (jobs.size > 0) await Promise.allSettled([...jobs]);
  }

  function close(): Promise<void> {
    if (closing) return closing;
    closed = true;
    for (const wake of [...sleepers]) wake();
    closing = (async () => {
      await drain();
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      try {
        await transport.close?.();
      } catch (err) {
        safeLog("warn", { error: scrubErrorMessage(errorMessage(err)) }, "email transport close failed");
      }
    })();
    return closing;
  }

  return { transport: transport.name, sendEmail, enqueue, drain, close };
}
