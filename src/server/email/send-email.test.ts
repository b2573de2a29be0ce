import type { Logger } from "pino";
import { describe, expect, it } from "vitest";
import {
  createMailer,
  recipientError,
  redactEmail,
  sanitizeHeaderValue,
  scrubErrorMessage,
  type EmailMessage,
  type EmailTransport,
  type OutgoingEmail,
  type SendResult,
} from "./send-email.ts";
import { memoryLogger } from "../../../test/support/logger.ts";

function fakeTransport(impl: (msg: OutgoingEmail) => Promise<SendResult>): EmailTransport & { sent: OutgoingEmail[] } {
  const sent: OutgoingEmail[] = [];
  return {
    name: "smtp",
    sent,
    send(msg) {
      sent.push(msg);
      return impl(msg);
    },
  };
}

const base: EmailMessage = {
  to: "alice@example.com",
  subject: "Hello",
  text: "see https://book.example/x?token=SECRET",
  html: "<p>hi</p>",
  tag: "verify-email",
};

describe("redactEmail", () => {
  it("keeps the first character and the domain", () => {
    expect(redactEmail("alice@example.com")).toBe("a***@example.com");
    expect(redactEmail("@example.com")).toBe("***@example.com");
    expect(redactEmail("not-an-address")).toBe("***");
    expect(redactEmail("élise@exämple.com")).toBe("é***@exämple.com");
    expect(redactEmail("a\r\nb@x.y")).toBe("a***@x.y");
  });
});

describe("header safety", () => {
  it("sanitizeHeaderValue strips CR/LF and control characters", () => {
    expect(sanitizeHeaderValue("Hello\r\nBcc: victim@example.com")).toBe("Hello Bcc: victim@example.com");
    expect(sanitizeHeaderValue("  a\tb\u0000c  ")).toBe("a b c");
  });

  it("recipientError accepts one plain address only", () => {
    expect(recipientError("alice@example.com")).toBeNull();
    expect(recipientError("dev@localhost")).toBeNull();
    expect(recipientError("alice@example.com\r\nBcc: x@y.z")).toMatch(/line break/);
    expect(recipientError("a@x.y, b@x.y")).not.toBeNull();
    expect(recipientError("Alice <a@x.y>")).not.toBeNull();
    expect(recipientError("")).not.toBeNull();
    expect(recipientError(42)).not.toBeNull();
  });

  it("scrubErrorMessage removes URLs and full addresses", () => {
    const s = scrubErrorMessage("550 <alice@example.com> rejected, see https://x.y/?token=abc\r\nmore");
    expect(s).not.toContain("alice@example.com");
    expect(s).not.toContain("token=abc");
    expect(s).toContain("a***@example.com");
    expect(s).not.toMatch(/[\r\n]/);
  });

  it("strips CR/LF from the subject before it reaches the transport", async () => {
    const t = fakeTransport(async () => ({ ok: true, id: "1" }));
    const mailer = createMailer({ from: "AI Book <x@y.z>\r\nBcc: evil@x.y", outboxDir: "/x", logger: memoryLogger().logger, transport: t });
    const r = await mailer.sendEmail({ ...base, subject: "Hi\r\nBcc: victim@example.com\nX-Evil: 1" });
    expect(r).toEqual({ ok: true, id: "1" });
    expect(t.sent[0]!.subject).toBe("Hi Bcc: victim@example.com X-Evil: 1");
    expect(t.sent[0]!.from).toBe("AI Book <x@y.z> Bcc: evil@x.y");
  });

  it("rejects a recipient containing CR/LF without throwing or calling the transport", async () => {
    const t = fakeTransport(async () => ({ ok: true, id: "1" }));
    const log = memoryLogger();
    const mailer = createMailer({ from: "x@y.z", outboxDir: "/x", logger: log.logger, transport: t });
    const r = await mailer.sendEmail({ ...base, to: "alice@example.com\r\nBcc: victim@example.com" });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.permanent).toBe(true);
    expect(t.sent).toHaveLength(0);

    expect(log.entries().some((e) => e.level === 40 && e.msg === "email rejected; not sending")).toBe(true);
    expect(log.raw()).not.toContain("victim@example.com");
  });

  it("rejects a list of recipients", async () => {
    const t = fakeTransport(async () => ({ ok: true, id: "1" }));
    const mailer = createMailer({ from: "x@y.z", outboxDir: "/x", logger: memoryLogger().logger, transport: t });
    expect((await mailer.sendEmail({ ...base, to: "alice@example.com,bob@example.com" })).ok).toBe(false);
    expect(t.sent).toHaveLength(0);
  });
});

// Retries, backoff, durability: the mail outbox's (mail-outbox.test.ts).
describe("sendEmail", () => {
  it("never throws, on a transport that throws synchronously, garbage input, or a throwing logger", async () => {
    const throwing: EmailTransport = {
      name: "smtp",
      send() {
        throw new Error("boom at https://book.example/?token=SECRET for alice@example.com");
      },
    };
    const log = memoryLogger();
    const mailer = createMailer({ from: "x@y.z", outboxDir: "/x", logger: log.logger, transport: throwing });
    const r = await mailer.sendEmail(base);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).not.toContain("SECRET");
    expect(log.raw()).not.toContain("SECRET");
    expect(log.raw()).not.toContain("alice@example.com");
    expect((await mailer.sendEmail(null as unknown as EmailMessage)).ok).toBe(false);
    expect((await mailer.sendEmail({ ...base, tag: "nope" as EmailMessage["tag"] })).ok).toBe(false);

    const t = fakeTransport(async () => ({ ok: true, id: "1" }));
    const boom = (): never => {
      throw new Error("log stream broken");
    };
    const badLogger = { child: () => badLogger, info: boom, warn: boom, error: boom } as unknown as Logger;
    const m2 = createMailer({ from: "x@y.z", outboxDir: "/x", logger: badLogger, transport: t });
    expect(await m2.sendEmail(base)).toEqual({ ok: true, id: "1" }); // "email sent" log throws -> swallowed
  });

  it("keeps the caller's idempotency key; close waits for sends in flight, then refuses", async () => {
    let release: () => void = () => {};
    const t = fakeTransport(() => new Promise((resolve) => (release = () => resolve({ ok: true, id: "slow" }))));
    const mailer = createMailer({ from: "x@y.z", outboxDir: "/x", logger: memoryLogger().logger, transport: t });
    const sending = mailer.sendEmail(base, { idempotencyKey: "mail/abc" });
    const closing = mailer.close();
    release();
    expect(await sending).toEqual({ ok: true, id: "slow" });
    await closing;
    expect(t.sent[0]!.idempotencyKey).toBe("mail/abc");
    expect((await mailer.sendEmail(base)).ok).toBe(false);
  });
});

describe("transport selection", () => {
  it("prefers SMTP, then Resend, then the outbox", async () => {
    const log = memoryLogger();
    const smtp = createMailer({ from: "x@y.z", smtpUrl: "smtp://127.0.0.1:1", resendApiKey: "re_x", outboxDir: "/x", logger: log.logger });
    const resend = createMailer({ from: "x@y.z", resendApiKey: "re_x", outboxDir: "/x", logger: log.logger });
    const outbox = createMailer({ from: "x@y.z", smtpUrl: "", resendApiKey: "", outboxDir: "/x", logger: log.logger });
    expect([smtp.transport, resend.transport, outbox.transport]).toEqual(["smtp", "resend", "outbox"]);
    expect(log.entries().filter((e) => /both SMTP_URL and RESEND_API_KEY/.test(String(e.msg)))).toHaveLength(1);
    await Promise.all([smtp.close(), resend.close(), outbox.close()]);
  });

  it("requires a from address", () => {
    expect(() => createMailer({ from: " ", outboxDir: "/x", logger: memoryLogger().logger })).toThrow(/EMAIL_FROM/);
  });
});
