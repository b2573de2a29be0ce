/**
 * SMTP transport (nodemailer, pooled). Configure with SMTP_URL, e.g.
 * `smtp://user:pass@mail.example.com:587` or `smtps://user:pass@mail.example.com:465`.
 * nodemailer options may be given as URL query parameters (e.g. `?ignoreTLS=true`,
 * `?pool=false`); they override the defaults below.
 */
import { createTransport } from "nodemailer";
import { nodemailerMessage, type EmailTransport, type OutgoingEmail, type SendResult } from "../send-email.ts";

export interface SmtpTransportOptions {
  url: string;
}

interface SmtpError {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

/** SMTP 5xx (except 503) and envelope/config problems will fail again; everything else may be retried. */
function isPermanent(err: SmtpError): boolean {
  if (typeof err.permanent === "boolean") return err.permanent;
  if (typeof err.responseCode === "number") return err.responseCode >= 500 && err.responseCode < 600 && err.responseCode !== 503;
  return err.code === "EENVELOPE" || err.code === "ECONFIG" || err.code === "EMAXRECIPIENTS";
}

export function createSmtpTransport(options: SmtpTransportOptions): EmailTransport {
  const transporter = createTransport({
    url: options.url,
    pool: true,
    maxConnections: 2,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    maxRecipients: 1,
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    name: "smtp",
    async send(msg: OutgoingEmail): Promise<SendResult> {
      try {
        const info = await transporter.sendMail(nodemailerMessage(msg));
        return { ok: true, id: String(info.messageId ?? "") };
      } catch (err) {
        const e = (err ?? {}) as SmtpError;
        return { ok: false, error: `SMTP: ${e.message || "send failed"}`, permanent: isPermanent(e) };
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}
