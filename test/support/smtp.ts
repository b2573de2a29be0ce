/**
 * A real SMTP listener for tests (smtp-server + mailparser).
 *
 *   const mail = await startMailCatcher();
 *   // point the app at mail.url, e.g. SMTP_URL=mail.url; nodemailer.createTransport(mail.url) works as is:
 *   // the server advertises neither STARTTLS nor AUTH, so nodemailer sends plain text without logging in.
 *   const m = await mail.waitFor("alice@example.com", { subject: /verify/i });
 *   const link = mail.linkFrom(m, "/verify-email");
 *   await mail.close();
 */
import type { AddressInfo } from "node:net";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface CapturedMail {
  /** Envelope recipients (RCPT TO), as sent. Includes Bcc recipients. */
  to: string[];
  /** The From header as text (e.g. `"AI Book" <no-reply@example.com>`); envelope MAIL FROM if the header is missing. */
  from: string;
  subject: string;
  /** Plain-text body ('' if none). */
  text: string;
  /** HTML body ('' if none). */
  html: string;
  /** http(s) links from the text body and the html hrefs, deduplicated, in that order. */
  links: string[];
  /** The raw RFC 822 message. */
  raw: string;
  /** Epoch ms when the message was accepted. */
  receivedAt: number;
  /** Everything mailparser read (headers, addresses). */
  parsed: ParsedMail;
}

export interface MailCatcher {
  /** 'smtp://127.0.0.1:<port>': plain SMTP, no TLS, no auth; usable as `nodemailer.createTransport(url)`. */
  url: string;
  host: string;
  port: number;
  mails: CapturedMail[];
  /** DATA commands received, refused ones included. */
  readonly dataCommands: number;
  /** Wait (default up to 5 s) for a mail to `to` (case-insensitive) matching optional subject regex, newer than `since` (epoch ms, default 0); returns it or throws with the list of mails seen. */
  waitFor(to: string, opts?: { subject?: RegExp; since?: number; timeoutMs?: number }): Promise<CapturedMail>;
  /** First link in the mail whose URL contains `contains`. Throws if there is none. */
  linkFrom(mail: CapturedMail, contains?: string): string;
  clear(): void;
  close(): Promise<void>;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith("#x")) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith("#")) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ENTITIES[lower] ?? m;
  });
}

/** Extract http(s) links from a plain-text body and from html hrefs. Exported for tests. */
export function extractLinks(text: string, html: string): string[] {
  const out: string[] = [];
  const add = (u: string) => {
    if (u && !out.includes(u)) out.push(u);
  };
  for (const m of text.matchAll(/https?:\/\/[^\s<>"'`]+/gi)) {
    let u = m[0];
    // Trim trailing punctuation; keep a closing paren/bracket only if balanced inside the URL.
    for (;;) {
      const last = u.at(-1);
      if (last && ".,;:!?'\"".includes(last)) u = u.slice(0, -1);
      else if (last === ")" && (u.match(/\(/g)?.length ?? 0) < (u.match(/\)/g)?.length ?? 0)) u = u.slice(0, -1);
      else if (last === "]" && (u.match(/\[/g)?.length ?? 0) < (u.match(/\]/g)?.length ?? 0)) u = u.slice(0, -1);
      else if (last === ">") u = u.slice(0, -1);
      else break;
    }
    add(u);
  }
  for (const m of html.matchAll(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi)) {
    const u = decodeEntities((m[1] ?? m[2] ?? m[3] ?? "").trim());
    if (/^https?:\/\//i.test(u)) add(u);
  }
  return out;
}

function addressText(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return "";
  return Array.isArray(a) ? a.map((x) => x.text).join(", ") : a.text;
}

function describe(mails: CapturedMail[]): string {
  if (mails.length === 0) return "  (no mails received)";
  return mails
    .map((m) => `  - to=${m.to.join(",")} subject=${JSON.stringify(m.subject)} at=${new Date(m.receivedAt).toISOString()}`)
    .join("\n");
}

/**
 * `port`: listen there (a listener started again where the app expects it), else a free one.
 * `rejectFirst`: the first N messages get a `451` (try again later), as a busy mail server does.
 */
export async function startMailCatcher(opts: { port?: number; rejectFirst?: number } = {}): Promise<MailCatcher> {
  const mails: CapturedMail[] = [];
  const waiters = new Set<() => void>();
  let dataCommands = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    banner: "ai-book test mail catcher",
    closeTimeout: 1000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", (err) => callback(err));
      stream.on("end", () => {
        dataCommands++;
        if (dataCommands <= (opts.rejectFirst ?? 0)) {
          callback(Object.assign(new Error("Try again later"), { responseCode: 451 }));
          return;
        }
        const rawBuf = Buffer.concat(chunks);
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        simpleParser(rawBuf)
          .then((parsed) => {
            const text = parsed.text ?? "";
            const html = typeof parsed.html === "string" ? parsed.html : "";
            mails.push({
              to: envelopeTo,
              from: addressText(parsed.from) || envelopeFrom,
              subject: parsed.subject ?? "",
              text,
              html,
              links: extractLinks(text, html),
              raw: rawBuf.toString("utf8"),
              receivedAt: Date.now(),
              parsed,
            });
            for (const w of waiters) w();
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Keep later socket errors from crashing the test process.
  server.on("error", () => {});

  const { port } = server.server.address() as AddressInfo;
  const host = "127.0.0.1";

  const find = (to: string, subject: RegExp | undefined, since: number): CapturedMail | undefined => {
    const want = to.toLowerCase();
    return mails.find(
      (m) =>
        m.receivedAt >= since &&
        m.to.some((t) => t.toLowerCase() === want) &&
        (!subject || subject.test(m.subject)),
    );
  };

  let closed: Promise<void> | undefined;

  return {
    url: `smtp://${host}:${port}`,
    host,
    port,
    mails,
    get dataCommands() {
      return dataCommands;
    },
    waitFor(to, opts = {}) {
      const since = opts.since ?? 0;
      const timeoutMs = opts.timeoutMs ?? 5000;
      const hit = find(to, opts.subject, since);
      if (hit) return Promise.resolve(hit);
      return new Promise<CapturedMail>((resolve, reject) => {
        const check = () => {
          const m = find(to, opts.subject, since);
          if (m) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `No mail to ${to}${opts.subject ? ` with subject ${opts.subject}` : ""}` +
                `${since ? ` since ${new Date(since).toISOString()}` : ""} within ${timeoutMs} ms. Mails seen:\n${describe(mails)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    linkFrom(mail, contains) {
      const link = mail.links.find((l) => (contains === undefined ? true : l.includes(contains)));
      if (!link) {
        throw new Error(
          `No link${contains !== undefined ? ` containing ${JSON.stringify(contains)}` : ""} in mail ` +
            `${JSON.stringify(mail.subject)} to ${mail.to.join(",")}. Links: ${JSON.stringify(mail.links)}\nText:\n${mail.text}`,
        );
      }
      return link;
    },
    clear() {
      mails.length = 0;
    },
    close() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closed;
    },
  };
}
