import { afterEach, describe, expect, it } from "vitest";
import { createMailer, type EmailMessage, type Mailer } from "./send-email.ts";
import {
  changeEmailMessage,
  deleteAccountMessage,
  emailChangedNoticeMessage,
  passwordChangedMessage,
  resetPasswordMessage,
  verifyEmailMessage,
} from "./templates.ts";
import { memoryLogger } from "../../../test/support/logger.ts";
import { startMailCatcher, type MailCatcher } from "../../../test/support/smtp.ts";

const EVIL_NAME = "<script>alert(1)</script>";
const ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt;";
const TOKEN = "tok_5ecr3t_abc123";
const URL_WITH_TOKEN = `https://book.example/api/auth/verify?token=${TOKEN}&callbackURL=%2F`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(rejectFirst = 0): Promise<{ server: MailCatcher; mailer: Mailer; log: ReturnType<typeof memoryLogger> }> {
  const server = await startMailCatcher({ rejectFirst });
  const log = memoryLogger();
  const mailer = createMailer({
    from: "AI Book <no-reply@book.example>",
    smtpUrl: server.url,
    resendApiKey: "re_should_not_be_used",
    outboxDir: "/nonexistent/outbox",
    logger: log.logger,
  });
  cleanups.push(() => server.close(), () => mailer.close());
  return { server, mailer, log };
}

describe("SMTP transport (real smtp-server)", () => {
  it("delivers every template as multipart/alternative with escaped names", async () => {
    const { server, mailer, log } = await setup();
    expect(mailer.transport).toBe("smtp");
    expect(log.entries().some((e) => /both SMTP_URL and RESEND_API_KEY/.test(String(e.msg)))).toBe(true);

    const to = "reader@book.example";
    const cases: Array<{ msg: EmailMessage; url?: string; extra?: string }> = [
      { msg: verifyEmailMessage({ to, name: EVIL_NAME, url: URL_WITH_TOKEN, expiresInMinutes: 1440 }), url: URL_WITH_TOKEN },
      { msg: resetPasswordMessage({ to, name: EVIL_NAME, url: "https://book.example/reset/abc?x=1", expiresInMinutes: 60 }), url: "https://book.example/reset/abc?x=1" },
      {
        msg: passwordChangedMessage({ to, name: EVIL_NAME, when: new Date("2025-01-02T03:04:05Z"), ip: "203.0.113.9", resetUrl: "https://book.example/forgot-password" }),
        url: "https://book.example/forgot-password",
        extra: "203.0.113.9",
      },
      { msg: changeEmailMessage({ to, name: EVIL_NAME, newEmail: "new<b>@book.example", url: "https://book.example/change?t=1" }), url: "https://book.example/change?t=1" },
      { msg: emailChangedNoticeMessage({ to, name: EVIL_NAME, newEmail: "new@book.example" }), extra: "new@book.example" },
      { msg: deleteAccountMessage({ to, name: EVIL_NAME, url: "https://book.example/delete?t=2", expiresInMinutes: 60 }), url: "https://book.example/delete?t=2" },
    ];

    for (const c of cases) {
      const result = await mailer.sendEmail(c.msg);
      expect(result).toMatchObject({ ok: true });
    }
    expect(server.mails).toHaveLength(cases.length);

    cases.forEach((c, i) => {
      const mail = server.mails[i]!.parsed;
      expect(mail.subject).toBe(c.msg.subject);
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe(to);
      expect(mail.from?.value[0]?.address).toBe("no-reply@book.example");
      expect(mail.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
      expect(mail.text).toBeTruthy();
      expect(typeof mail.html).toBe("string");
      if (c.url) expect(mail.text).toContain(c.url);
      if (c.extra) expect(mail.text).toContain(c.extra);
      const html = mail.html as string;
      expect(html).toContain(ESCAPED_NAME);
      expect(html).not.toContain("<script>");
    });
    // The change-email address is escaped too.
    expect(server.mails[3]!.html).toContain("new&lt;b&gt;@book.example");
    // sendEmail logs redacted recipients only.
    expect(log.raw()).not.toContain(to);
    expect(log.raw()).toContain("r***@book.example");
  });
  // Retries of a 451 and giving up: mail-outbox.test.ts, against the same real SMTP server.
});
