/**
 * Virtual readers: each signs up (or was signed up before the run), reads chapters, asks the
 * book questions, checks its profile by cookie and by bearer token, refreshes its tokens and
 * signs in again now and then, with a pause between actions like a person's. Whatever the app
 * acknowledges (a 2xx) is written to the ledger, which the checks then look for in PostgreSQL.
 */
import { randomUUID } from "node:crypto";
import type { MailCatcher } from "../support/smtp.ts";
import { HttpClient, type Answer, type Recorder } from "./client.ts";
import { sleep } from "../support/time.ts";

export const PASSWORD = "correct horse battery staple";
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;

/** What the app acknowledged, to be found in PostgreSQL afterwards. */
export interface Ledger {
  /** Sign-ups answered 200. */
  accounts: Set<string>;
  /** Sessions handed out: sign-in answered 200, or a verification link that signed in. */
  sessions: { token: string; email: string; ip: string }[];
  /** Chats answered 201. */
  chats: Set<string>;
  /** Questions whose answer stream began (200): the question is stored first. */
  messages: { chatId: string; content: string }[];
  /** Every refresh token answered 200 (grants and rotations). */
  refreshTokens: string[];
  /** Verification mails that never came (the sign-up was acknowledged; a new link was asked for). */
  mailsResent: number;
  /** Acknowledged sign-ups whose reader never got a working link before the run ended. */
  unverified: number;
  /** Refresh tokens refused after a lost answer (a family the reader could not continue). */
  familiesLost: { email: string; reason: string }[];
}

export function newLedger(): Ledger {
  return { accounts: new Set(), sessions: [], chats: new Set(), messages: [], refreshTokens: [], mailsResent: 0, unverified: 0, familiesLost: [] };
}

/** The session token inside the session cookie (`<token>.<signature>`, URL-encoded). */
export function sessionToken(cookies: Map<string, string>): string | undefined {
  for (const [name, value] of cookies) {
    if (!name.endsWith("better-auth.session_token")) continue;
    const signed = decodeURIComponent(value);
    return signed.slice(0, signed.lastIndexOf("."));
  }
  return undefined;
}

const QUESTIONS = [
  "What is physical AI?",
  "How does a humanoid robot keep its balance?",
  "Which sensors does a humanoid use?",
  "How do robots learn to walk?",
  "What are the safety concerns with humanoid robots?",
  "What actuators do humanoids use?",
  "What is reinforcement learning?",
  "Who is responsible when a robot causes harm?",
];

/** An answer worth retrying as is: the app or nginx said "not now", or the answer never came. */
const transient = (a: Answer) => a.status === null || a.status === 502 || a.status === 503 || a.status === 504;
const waitFor = (a: Answer) => Math.min(5_000, Math.max(200, Number(a.headers["retry-after"] ?? 1) * 1000));

export interface ReaderEnv {
  base: string;
  ca: string;
  recorder: Recorder;
  mail: MailCatcher;
  ledger: Ledger;
  slugs: string[];
  /** performance.now() at which readers stop starting new actions. */
  stopAt: number;
}

export class Reader {
  readonly client: HttpClient;
  readonly email: string;
  access?: string;
  refresh?: string;
  chats: string[] = [];
  signedIn = false;
  private assetsLoaded = false;

  constructor(
    readonly index: number,
    readonly ip: string,
    private readonly env: ReaderEnv,
  ) {
    this.client = new HttpClient(env.base, ip, env.ca, env.recorder);
    this.email = `reader${index}.${randomUUID().slice(0, 8)}@example.org`;
  }

  private get c() {
    return this.client;
  }

  private running() {
    return performance.now() < this.env.stopAt;
  }

  /** Sign up and open the verification link from the mail (which signs this browser in). */
  async signUp(): Promise<boolean> {
    const since = Date.now();
    let up: Answer;
    do {
      up = await this.c.request("POST", "/api/auth/sign-up/email", "POST /api/auth/sign-up/email", { body: { name: `Reader ${this.index}`, email: this.email, password: PASSWORD } });
      if (up.status === 200) break;
      // A lost answer may hide a sign-up that happened: the same address then answers 200 too
      // (Better Auth's "no enumeration" answer) and the checks find the account either way.
      if (!transient(up) && up.status !== 429) return false;
      await sleep(waitFor(up));
    } while (this.running());
    if (up.status !== 200) return false;
    this.env.ledger.accounts.add(this.email);
    const verified = await this.verify(since);
    if (!verified) this.env.ledger.unverified++;
    return verified;
  }

  private async verify(since: number): Promise<boolean> {
    for (let round = 0; round < 4; round++) {
      const mail = await this.env.mail.waitFor(this.email, { subject: /verify/i, since, timeoutMs: 8_000 }).catch(() => null);
      if (mail) {
        const link = new URL(this.env.mail.linkFrom(mail, "/api/auth/verify-email"));
        for (let attempt = 0; attempt < 5; attempt++) {
          // A retried link may have been used by the attempt whose answer was lost.
          const r = await this.c.request("GET", link.pathname + link.search, "GET /api/auth/verify-email", { expect: attempt ? [302, 400] : [302] });
          if (r.status === 302) {
            const token = sessionToken(this.c.cookies);
            if (token) {
              this.env.ledger.sessions.push({ token, email: this.email, ip: this.ip });
              this.signedIn = true;
              return true;
            }
            break;
          }
          if (!transient(r)) break;
          await sleep(waitFor(r));
        }
      } else this.env.ledger.mailsResent++;
      // No mail (the instance that was to send it died), or a used link: ask for a new one.
      since = Date.now();
      // (At most one mail a minute per address: a 429 says how long to wait.)
      const again = await this.c.request("POST", "/api/auth/send-verification-email", "POST /api/auth/send-verification-email", { body: { email: this.email } });
      if (again.status === 429) {
        await sleep(Math.min(Number(again.headers["retry-after"] ?? 60) * 1000, this.env.stopAt - performance.now()));
        round--;
        if (!this.running()) return false;
      }
    }
    return false;
  }

  async signIn(): Promise<void> {
    const r = await this.c.request("POST", "/api/auth/sign-in/email", "POST /api/auth/sign-in/email", { body: { email: this.email, password: PASSWORD } });
    if (r.status === 200) {
      const token = sessionToken(this.c.cookies);
      if (token) this.env.ledger.sessions.push({ token, email: this.email, ip: this.ip });
      this.signedIn = true;
    } else if (transient(r) || r.status === 429) await sleep(waitFor(r));
  }

  async grant(): Promise<void> {
    const r = await this.c.request("POST", "/api/v1/auth/token", "POST /api/v1/auth/token (password)", {
      body: { grant_type: "password", email: this.email, password: PASSWORD },
      noCookies: true,
    });
    if (r.status === 200) {
      this.access = r.json.access_token;
      this.refresh = r.json.refresh_token;
      this.env.ledger.refreshTokens.push(this.refresh!);
    } else if (transient(r) || r.status === 429) await sleep(waitFor(r));
  }

  /**
   * Rotate the refresh token. An answer that never came may hide a rotation that happened: the
   * same token is sent again at once, inside the app's 10 s grace window, which answers with
   * the successor instead of treating it as reuse.
   */
  async refreshTokens(): Promise<void> {
    if (!this.refresh) return this.grant();
    const started = performance.now();
    for (;;) {
      const r = await this.c.request("POST", "/api/v1/auth/token", "POST /api/v1/auth/token (refresh)", {
        body: { grant_type: "refresh_token", refresh_token: this.refresh },
        noCookies: true,
      });
      if (r.status === 200) {
        this.access = r.json.access_token;
        this.refresh = r.json.refresh_token;
        this.env.ledger.refreshTokens.push(this.refresh!);
        return;
      }
      if (r.status === 429) return void (await sleep(waitFor(r)));
      if (!transient(r) || performance.now() - started > 8_000) {
        if (!transient(r)) this.env.ledger.familiesLost.push({ email: this.email, reason: `${r.status} ${r.json?.code ?? r.text.slice(0, 80)}` });
        this.refresh = undefined;
        this.access = undefined;
        return;
      }
      await sleep(Math.min(1_000, waitFor(r)));
    }
  }

  async meByCookie(): Promise<void> {
    if (!this.signedIn) return this.signIn();
    await this.c.request("GET", "/api/v1/me", "GET /api/v1/me (cookie)");
  }

  async meByBearer(): Promise<void> {
    if (!this.access) return this.grant();
    await this.c.request("GET", "/api/v1/me", "GET /api/v1/me (bearer)", { bearer: this.access, noCookies: true });
  }

  /** A page as a browser loads it: the HTML, and on the first visit the scripts and styles it names. */
  private async page(path: string, route: string): Promise<boolean> {
    const page = await this.c.request("GET", path, route, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    if (page.status !== 200) return false;
    if (!this.assetsLoaded) {
      this.assetsLoaded = true;
      for (const [, asset] of page.text.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) await this.c.request("GET", asset!, "GET /assets/* (first visit)");
    }
    return true;
  }

  async readChapter(): Promise<void> {
    const slug = pick(this.env.slugs);
    if (!(await this.page(`/read/${slug}`, "GET /read/:slug (page)"))) return;
    if (Math.random() < 0.3) await this.c.request("GET", "/api/v1/book", "GET /api/v1/book");
    await this.c.request("GET", `/api/v1/book/chapters/${slug}`, "GET /api/v1/book/chapters/:slug");
  }

  async home(): Promise<void> {
    await this.page("/", "GET / (page)");
  }

  async listChats(): Promise<void> {
    if (!this.signedIn) return this.signIn();
    await this.c.request("GET", "/api/v1/chats", "GET /api/v1/chats");
    if (this.chats.length) await this.c.request("GET", `/api/v1/chats/${pick(this.chats)}`, "GET /api/v1/chats/:id");
  }

  /** Ask a question as the web app does (cookie, JSON body, the answer as server-sent events). */
  async ask(): Promise<void> {
    if (!this.signedIn) return this.signIn();
    if (!this.chats.length || Math.random() < 0.15) {
      const created = await this.c.request("POST", "/api/v1/chats", "POST /api/v1/chats", { body: {}, expect: [201] });
      if (created.status !== 201) return void (transient(created) || created.status === 429 ? await sleep(waitFor(created)) : undefined);
      this.chats.push(created.json.id);
      this.env.ledger.chats.add(created.json.id);
    }
    const chatId = pick(this.chats);
    const content = `${pick(QUESTIONS)} (${randomUUID().slice(0, 13)})`;
    const r = await this.c.request("POST", `/api/v1/chats/${chatId}/messages`, "POST /api/v1/chats/:id/messages (SSE)", {
      body: { content },
      headers: { accept: "text/event-stream" },
      timeoutMs: 60_000,
    });
    // The answer began: the question was stored before it (and the stream's first event says so).
    if (r.status === 200) this.env.ledger.messages.push({ chatId, content });
    else if (transient(r) || r.status === 429) await sleep(waitFor(r));
  }

  /** The reader's life until the run ends. A new reader arrives within `arriveWithinMs` and signs up. */
  async run(arriveWithinMs = 2_000): Promise<void> {
    if (!this.signedIn && !this.env.ledger.accounts.has(this.email)) {
      await sleep(Math.random() * arriveWithinMs);
      if (!(await this.signUp())) return;
    } else await sleep(Math.random() * 2_000);
    const actions: [number, () => Promise<void>][] = [
      [30, () => this.readChapter()],
      [4, () => this.home()],
      [14, () => this.meByCookie()],
      [14, () => this.meByBearer()],
      [8, () => this.refreshTokens()],
      [16, () => this.ask()],
      [6, () => this.listChats()],
      [4, () => this.signIn()],
      [4, () => this.grant()],
    ];
    const total = actions.reduce((n, [w]) => n + w, 0);
    while (this.running()) {
      let roll = Math.random() * total;
      const action = actions.find(([w]) => (roll -= w) < 0)![1];
      await action();
      await sleep(500 + Math.random() * 1_000);
    }
  }
}
