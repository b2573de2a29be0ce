/**
 * Development transport: writes each message as an RFC 822 .eml file under the outbox
 * directory and, in development, logs the first link so it can be clicked. This is the only
 * place an email link (which may carry a token) is ever logged; it is chosen only when neither
 * SMTP_URL nor RESEND_API_KEY is configured, and in production only by ALLOW_OUTBOX_EMAIL=true,
 * where links are never logged (ASVS 16.2.5). The address is masked in every case.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createTransport } from "nodemailer";
import type { Logger } from "pino";
import { redactEmail, nodemailerMessage, type EmailTransport, type OutgoingEmail, type SendResult } from "../send-email.ts";

export interface OutboxTransportOptions {
  dir: string;
  logger: Logger;
  /** Log the mail's first link (development). Default false. */
  logLinks?: boolean;
}

const LINK_RE = /https?:\/\/[^\s<>"')\]]+/i;

export function firstLink(text: string): string | undefined {
  return LINK_RE.exec(text)?.[0];
}

export function createOutboxTransport(options: OutboxTransportOptions): EmailTransport {
  const dir = path.resolve(options.dir);
  const composer = createTransport({ streamTransport: true, buffer: true, newline: "unix" });

  return {
    name: "outbox",
    async send(msg: OutgoingEmail): Promise<SendResult> {
      try {
        const info = await composer.sendMail(nodemailerMessage(msg));
        const eml = Buffer.isBuffer(info.message) ? info.message : Buffer.from(String(info.message));
        // mode applies only to directories created here; an existing directory is left as is.
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const tag = msg.tag.replace(/[^a-z0-9-]/gi, "_");
        const name = `${new Date().toISOString().replace(/:/g, "-")}-${tag}-${randomBytes(6).toString("hex")}.eml`;
        const file = path.join(dir, name);
        await writeFile(file, eml, { mode: 0o600, flag: "wx" });
        const link = options.logLinks ? { link: firstLink(msg.text) } : {};
        options.logger.info({ to: redactEmail(msg.to), subject: msg.subject, file, ...link }, "email written to outbox");
        return { ok: true, id: name };
      } catch (err) {
        return { ok: false, error: `outbox: ${err instanceof Error ? err.message : "write failed"}` };
      }
    },
    async close(): Promise<void> {
      composer.close();
    },
  };
}
