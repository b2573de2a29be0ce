import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterEach, describe, expect, it } from "vitest";
import { createMailer } from "./send-email.ts";
import { verifyEmailMessage } from "./templates.ts";
import { memoryLogger } from "../../../test/support/logger.ts";

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

describe("outbox transport", () => {
  it("writes a private, parseable .eml and logs the link, with the address masked (ASVS 16.2.5)", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "aibook-outbox-"));
    dirs.push(root);
    const outboxDir = path.join(root, "data", "outbox");
    const log = memoryLogger();
    const mailer = createMailer({ from: "AI Book <no-reply@localhost>", outboxDir, logger: log.logger, logOutboxLinks: true });
    expect(mailer.transport).toBe("outbox");

    const url = "http://localhost:3000/api/auth/verify-email?token=abc.def.ghi&callbackURL=%2F";
    const msg = verifyEmailMessage({ to: "dev@localhost", name: "<b>Dev</b>", url, expiresInMinutes: 60 });
    const result = await mailer.sendEmail(msg);
    expect(result.ok).toBe(true);

    const files = await readdir(outboxDir);
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect(file).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z-verify-email-[0-9a-f]+\.eml$/);
    expect(result).toEqual({ ok: true, id: file });
    const full = path.join(outboxDir, file);
    expect((await stat(full)).mode & 0o777).toBe(0o600);
    expect((await stat(outboxDir)).mode & 0o777).toBe(0o700);

    const raw = await readFile(full);
    expect(raw.includes("\r\n")).toBe(false); // unix newlines
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe(msg.subject);
    expect(parsed.headers.get("content-type")).toMatchObject({ value: "multipart/alternative" });
    expect(parsed.text).toContain(url);
    expect(parsed.html).toContain("&lt;b&gt;Dev&lt;/b&gt;");

    const line = log.entries().find((e) => e.msg === "email written to outbox");
    expect(line).toMatchObject({ to: "d***@localhost", subject: msg.subject, file: full, link: url });
    expect(JSON.stringify(log.entries())).not.toContain("dev@localhost");
    await mailer.close();
  });
});
