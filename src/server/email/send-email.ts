/**
 * Outgoing email for the auth system: transport selection (SMTP > Resend > outbox files),
 * validation, and one send at a time. Durability and retries are the mail outbox's
 * (mail-outbox.ts): every mail is a database row first.
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
  | "email-changed"
  | "account-exists"
  | "second-factor";

export const EMAIL_TAGS: readonly EmailTag[] = [
  "verify-email",
  "reset-password",
  "password-changed",
  "change-email",
  "delete-account",
  "email-changed",
  "account-exists",
  "second-factor",
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

/** The nodemailer message of an outgoing mail, as the SMTP and outbox transports compose it. */
export function nodemailerMessage(msg: OutgoingEmail) {
  return {
    from: msg.from,
    to: msg.to,
    subject: msg.subject,
    text: msg.text,
    html: msg.html,
    // RFC 3834: out-of-office replies and the like must not answer it.
    headers: { "Auto-Submitted": "auto-generated" },
  };
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
  /** Use this transport instead of choosing one from the options (tests, custom providers). */
  transport?: EmailTransport;
}

export interface Mailer {
  transport: EmailTransport["name"];
  /**
   * Send now and report the result (no retry; the mail outbox retries). Logged with the tag and
   * a redacted recipient, never the link or token. `idempotencyKey` is stable across the tries
   * of one mail (Resend's Idempotency-Key).
   */
  sendEmail(msg: EmailMessage, opts?: { idempotencyKey?: string }): Promise<SendResult>;
  /** Waits for sends in flight, then closes the transport. */
  close(): Promise<void>;
}

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

/** Why a message cannot be sent (bad recipient, unknown tag, missing parts), or null. */
export function messageError(raw: EmailMessage): string | null {
  const prepared = prepare(raw, "checked@localhost");
  return prepared.ok ? null : prepared.error;
}

function prepare(raw: EmailMessage, from: string, idempotencyKey?: string): Prepared {
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
      idempotencyKey: idempotencyKey ?? `${raw.tag}/${randomUUID()}`,
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

export function createMailer(options: MailerOptions): Mailer {
  const log = options.logger.child({ module: "email" });
  const from = sanitizeHeaderValue(options.from);
  if (!from) throw new Error("email: EMAIL_FROM (options.from) must be set");
  const transport = options.transport ?? selectTransport(options, log);
  const inflight = new Set<Promise<unknown>>();
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

  async function sendEmail(raw: EmailMessage, opts: { idempotencyKey?: string } = {}): Promise<SendResult> {
    const meta = { tag: safeTag(raw), to: safeTo(raw) };
    if (closing) return { ok: false, error: "mailer is closed" };
    const prepared = prepare(raw, from, opts.idempotencyKey);
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

  function close(): Promise<void> {
    closing ??= (async () => {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      try {
        await transport.close?.();
      } catch (err) {
        safeLog("warn", { error: scrubErrorMessage(errorMessage(err)) }, "email transport close failed");
      }
    })();
    return closing;
  }

  return { transport: transport.name, sendEmail, close };
}
