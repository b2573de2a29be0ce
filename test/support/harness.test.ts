import nodemailer from "nodemailer";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./free-port.ts";
import { createTestPgDatabase, requirePgUrl } from "./postgres.ts";
import { extractLinks, startMailCatcher, type MailCatcher } from "./smtp.ts";

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe("postgres harness", () => {
  it("reaches the test server", async () => {
    const rows = await query<{ version: string }>(requirePgUrl(), "select version()");
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
  });

  it("creates isolated databases and drops them", async () => {
    const a = await createTestPgDatabase();
    const b = await createTestPgDatabase();
    try {
      expect(a.url).not.toBe(b.url);
      expect(a.name).toMatch(/^t_[0-9a-f]{16}$/);
      await query(a.url, "create table items (id int primary key)");
      await query(a.url, "insert into items values (1)");
      expect(await query(a.url, "select id from items")).toEqual([{ id: 1 }]);
      const inB = await query<{ n: string | null }>(b.url, "select to_regclass('public.items') as n");
      expect(inB[0]?.n).toBeNull();

      // drop() must work even while a client is still connected.
      const lingering = new pg.Client({ connectionString: a.url });
      lingering.on("error", () => {});
      await lingering.connect();
      await a.drop();
      await lingering.end().catch(() => {});
    } finally {
      await a.drop();
      await b.drop();
    }
    const left = await query<{ datname: string }>(
      requirePgUrl(),
      "select datname from pg_database where datname = any($1)",
      [[a.name, b.name]],
    );
    expect(left).toEqual([]);
  });
});

describe("freePort", () => {
  it("returns a usable port", async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(65536);
  });
});

describe("mail catcher", () => {
  let mail: MailCatcher;
  beforeAll(async () => {
    mail = await startMailCatcher();
  });
  afterAll(async () => {
    await mail.close();
  });

  it("receives a nodemailer mail via createTransport(url) and extracts links", async () => {
    expect(mail.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    const since = Date.now();
    const transport = nodemailer.createTransport(mail.url);
    await transport.sendMail({
      from: '"AI Book" <no-reply@aibook.test>',
      to: "Alice@Example.com",
      bcc: "audit@example.com",
      subject: "Verify your email",
      text: "Hello!\nClick https://app.test/verify?token=abc&x=1. Or (see https://app.test/help).\nThanks",
      html:
        '<p><a href="https://app.test/verify?token=abc&amp;x=1">Verify</a> ' +
        "<a href='https://app.test/html-only?a=1&amp;b=2'>x</a> <a href=\"mailto:x@y.z\">mail</a></p>",
    });
    transport.close();

    const m = await mail.waitFor("alice@example.com", { subject: /verify/i, since });
    // nodemailer lowercases the domain part; matching in waitFor is case-insensitive anyway.
    expect(m.to.map((t) => t.toLowerCase())).toContain("alice@example.com");
    expect(m.to).toContain("audit@example.com");
    expect(m.from).toContain("no-reply@aibook.test");
    expect(m.subject).toBe("Verify your email");
    expect(m.text).toContain("Click https://app.test/verify");
    expect(m.html).toContain("<a href=");
    expect(m.raw).toContain("Subject: Verify your email");
    expect(m.receivedAt).toBeGreaterThanOrEqual(since);
    expect(m.links).toEqual([
      "https://app.test/verify?token=abc&x=1",
      "https://app.test/help",
      "https://app.test/html-only?a=1&b=2",
    ]);
    expect(mail.linkFrom(m, "/verify")).toBe("https://app.test/verify?token=abc&x=1");
    expect(mail.linkFrom(m)).toBe("https://app.test/verify?token=abc&x=1");
    expect(() => mail.linkFrom(m, "/nope")).toThrow(/No link containing/);

    // Bcc recipient is matched too (envelope recipients).
    await expect(mail.waitFor("AUDIT@example.com", { since })).resolves.toBe(m);
  });

  it("waitFor waits for a later mail and times out with the list of mails seen", async () => {
    const since = Date.now();
    const transport = nodemailer.createTransport(mail.url);
    const pending = mail.waitFor("bob@example.com", { subject: /reset/i, since });
    setTimeout(() => {
      void transport.sendMail({
        from: "no-reply@aibook.test",
        to: "bob@example.com",
        subject: "Reset your password",
        text: "https://app.test/reset/xyz",
      });
    }, 50);
    const m = await pending;
    expect(mail.linkFrom(m, "/reset/")).toBe("https://app.test/reset/xyz");
    transport.close();

    await expect(mail.waitFor("nobody@example.com", { timeoutMs: 200 })).rejects.toThrow(
      /No mail to nobody@example.com[\s\S]*Reset your password/,
    );
    // subject filter
    await expect(mail.waitFor("bob@example.com", { subject: /welcome/i, timeoutMs: 100 })).rejects.toThrow();
    // since filter
    await expect(mail.waitFor("bob@example.com", { since: Date.now() + 60_000, timeoutMs: 100 })).rejects.toThrow();

    mail.clear();
    expect(mail.mails).toEqual([]);
  });

  it("extractLinks trims trailing punctuation and decodes html entities", () => {
    expect(extractLinks("Go to https://a.test/x, then https://a.test/y! and <https://a.test/z>.", "")).toEqual([
      "https://a.test/x",
      "https://a.test/y",
      "https://a.test/z",
    ]);
    expect(extractLinks("see https://a.test/wiki/Foo_(bar)", "")).toEqual(["https://a.test/wiki/Foo_(bar)"]);
    expect(extractLinks("", '<a href="https://a.test/?a=1&amp;b=&#x32;">x</a><a href=https://a.test/u>y</a>')).toEqual([
      "https://a.test/?a=1&b=2",
      "https://a.test/u",
    ]);
  });
});
