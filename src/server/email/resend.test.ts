import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMailOutbox } from "./mail-outbox.ts";
import { createMailer, type EmailMessage, type Mailer } from "./send-email.ts";
import { resetPasswordMessage, verifyEmailMessage } from "./templates.ts";
import { memoryLogger } from "../../../test/support/logger.ts";
import { testDatabase } from "../../../test/support/database.ts";

const API_KEY = "re_TestKey_7f3a9c2e1d";
const TOKEN = "tok_r3send_s3cret";
const URL_WITH_TOKEN = `https://book.example/api/auth/reset-password/${TOKEN}?callbackURL=%2Freset`;

interface FakeRequest {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingMessage["headers"];
  body: unknown;
}

/** A fake of Resend's POST /emails. `plan` gives the status per request (default 200). */
async function startFakeResend(plan: Array<{ status: number; body: unknown }> = []) {
  const requests: FakeRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      requests.push({ method: req.method, path: req.url, headers: req.headers, body });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        return reply(401, { statusCode: 401, name: "missing_api_key", message: "Missing API key in the authorization header." });
      }
      if (req.method !== "POST" || req.url !== "/emails") return reply(404, { statusCode: 404, name: "not_found", message: "Not found" });
      const b = body as Record<string, unknown> | undefined;
      const valid =
        b &&
        typeof b.from === "string" &&
        Array.isArray(b.to) &&
        b.to.length === 1 &&
        typeof b.subject === "string" &&
        typeof b.html === "string" &&
        typeof b.text === "string";
      if (!valid) return reply(422, { statusCode: 422, name: "validation_error", message: "Invalid body" });
      const planned = plan[requests.length - 1];
      if (planned) return reply(planned.status, planned.body);
      return reply(200, { id: `email_${requests.length}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(plan?: Array<{ status: number; body: unknown }>, apiKey = API_KEY) {
  const fake = await startFakeResend(plan);
  const log = memoryLogger();
  const mailer: Mailer = createMailer({
    from: "AI Book <no-reply@book.example>",
    resendApiKey: apiKey,
    resendBaseUrl: `${fake.baseUrl}/`,
    outboxDir: "/nonexistent",
    logger: log.logger,
  });
  cleanups.push(fake.close, () => mailer.close());
  return { fake, log, mailer };
}

/** Through the mail outbox (an SQLite file), as the app sends: until the mail is sent or failed. */
async function viaOutbox(mailer: Mailer, msg: EmailMessage, log: ReturnType<typeof memoryLogger>) {
  const { db, close } = await testDatabase("sqlite");
  const box = createMailOutbox({ db: db.kysely, dialect: "sqlite", mailer, logger: log.logger, instance: "resend-test:1", secret: "resend-test-secret-0123456789abcdef", baseDelayMs: 5, pollMs: 5, maxAttempts: 4 });
  cleanups.push(close, () => box.close());
  box.start();
  await box.enqueue(msg);
  for (;;) {
    const row = await db.kysely.selectFrom("mail_outbox").select("status").executeTakeFirstOrThrow();
    if (row.status === "sent" || row.status === "failed") return row.status;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("Resend transport (fake HTTP API)", () => {
  it("posts the documented JSON shape with a Bearer key and returns the id", async () => {
    const { fake, mailer } = await setup();
    expect(mailer.transport).toBe("resend");
    const msg = verifyEmailMessage({ to: "reader@book.example", name: "Reader", url: URL_WITH_TOKEN, expiresInMinutes: 60 });
    const result = await mailer.sendEmail(msg);
    expect(result).toEqual({ ok: true, id: "email_1" });

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/emails");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["idempotency-key"]).toMatch(/^verify-email\//);
    expect(req.body).toEqual({
      from: "AI Book <no-reply@book.example>",
      to: ["reader@book.example"],
      subject: msg.subject,
      html: msg.html,
      text: msg.text,
      tags: [{ name: "category", value: "verify-email" }],
    });
  });

  it("retries a 429 with the same idempotency key, then succeeds", async () => {
    const { fake, mailer, log } = await setup([
      { status: 429, body: { statusCode: 429, name: "rate_limit_exceeded", message: "Too many requests. You can only make 2 requests per second." } },
    ]);
    const msg = resetPasswordMessage({ to: "alice@book.example", name: "Alice", url: URL_WITH_TOKEN, expiresInMinutes: 60 });
    expect(await viaOutbox(mailer, msg, log)).toBe("sent");
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[0]!.headers["idempotency-key"]).toMatch(/^mail\//);
    expect(fake.requests[0]!.headers["idempotency-key"]).toBe(fake.requests[1]!.headers["idempotency-key"]);
    const entries = log.entries();
    expect(entries.filter((e) => e.level === 40)).toHaveLength(1);
    expect(String(entries.find((e) => e.level === 40)!.error)).toContain("429");
    expect(entries.some((e) => e.msg === "email sent" && e.id === "email_2")).toBe(true);
    expect(log.raw()).not.toContain(TOKEN);
    expect(log.raw()).not.toContain(API_KEY);
  });

  it("retries 5xx", async () => {
    const { fake, mailer, log } = await setup([
      { status: 500, body: { statusCode: 500, name: "internal_server_error", message: "Unexpected error" } },
      { status: 503, body: "unavailable" },
    ]);
    const msg = resetPasswordMessage({ to: "alice@book.example", name: "Alice", url: URL_WITH_TOKEN, expiresInMinutes: 60 });
    expect(await viaOutbox(mailer, msg, log)).toBe("sent");
    expect(fake.requests).toHaveLength(3);
  });

  it("does not retry a 422 and reports the API's message without the key", async () => {
    const message = `The \`to\` field is invalid (key ${API_KEY} was used).`;
    const { fake, mailer, log } = await setup([
      { status: 422, body: { statusCode: 422, name: "validation_error", message } },
      { status: 422, body: { statusCode: 422, name: "validation_error", message } },
    ]);
    const msg = resetPasswordMessage({ to: "alice@book.example", name: "Alice", url: URL_WITH_TOKEN, expiresInMinutes: 60 });

    const direct = await mailer.sendEmail(msg);
    expect(direct.ok).toBe(false);
    if (direct.ok) throw new Error("unreachable");
    expect(direct.permanent).toBe(true);
    expect(direct.error).toContain("422");
    expect(direct.error).toContain("validation_error");
    expect(direct.error).toContain("field is invalid");
    expect(direct.error).not.toContain(API_KEY);

    expect(await viaOutbox(mailer, msg, log)).toBe("failed");
    expect(fake.requests).toHaveLength(2); // one for sendEmail, one (not retried) through the outbox
    const errors = log.entries().filter((e) => e.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ tag: "reset-password", to: "a***@book.example", permanent: true });
    expect(log.raw()).not.toContain(API_KEY);
    expect(log.raw()).not.toContain(TOKEN);
  });

  it("reports a wrong key as a permanent error without echoing it", async () => {
    const { mailer, log } = await setup(undefined, "re_wrong_key_123456");
    const result = await mailer.sendEmail(verifyEmailMessage({ to: "a@book.example", name: "A", url: URL_WITH_TOKEN, expiresInMinutes: 5 }));
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(JSON.stringify(result)).not.toContain("re_wrong_key_123456");
    expect(log.raw()).not.toContain("re_wrong_key_123456");
  });

  it("treats a network failure as retryable", async () => {
    const { fake, mailer } = await setup();
    await fake.close();
    cleanups.splice(cleanups.indexOf(fake.close), 1);
    const result = await mailer.sendEmail(verifyEmailMessage({ to: "a@book.example", name: "A", url: URL_WITH_TOKEN, expiresInMinutes: 5 }));
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error("unreachable");
    expect(result.permanent).toBeFalsy();
    expect(result.error).toMatch(/Resend: request failed/);
  });
});
