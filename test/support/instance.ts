/**
 * A test instance of the whole server: real database (a fresh SQLite file or a fresh
 * PostgreSQL database on the test server), real SMTP listener receiving the app's mail,
 * and a small HTTP client with a cookie jar that talks to the app in-process
 * (`app.request`) with a chosen client IP, as if it came from a socket.
 *
 *   const t = await createTestInstance("sqlite");
 *   const alice = t.client();            // its own cookie jar and IP
 *   await alice.post("/api/auth/sign-up/email", { name, email, password });
 *   const mail = await t.mail.waitFor(email, { subject: /verify/i });
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, vi } from "vitest";
import { loadConfig } from "../../src/server/config/index.ts";
import { createServices, type Services } from "../../src/server/services.ts";
import { createApp } from "../../src/server/app.ts";
import { createTestPgDatabase } from "./postgres.ts";
import { startMailCatcher, type MailCatcher } from "./smtp.ts";

export type DbKind = "sqlite" | "postgres";
export const DB_KINDS: DbKind[] = ["sqlite", "postgres"];

export const BASE_URL = "http://localhost:7860";
export const STRONG_PASSWORD = "correct horse battery staple";

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Raw body (string) instead of JSON. */
  raw?: string;
  /** Override the client IP (the socket address) for this request. */
  ip?: string;
  /** Omit the Origin header the client adds by default. */
  noOrigin?: boolean;
}

export interface TestClient {
  ip: string;
  cookies: Map<string, string>;
  request(method: string, url: string, body?: unknown, opts?: RequestOptions): Promise<TestResponse>;
  get(url: string, opts?: RequestOptions): Promise<TestResponse>;
  post(url: string, body?: unknown, opts?: RequestOptions): Promise<TestResponse>;
  patch(url: string, body?: unknown, opts?: RequestOptions): Promise<TestResponse>;
  cookieHeader(): string;
}

export interface TestInstance {
  kind: DbKind;
  services: Services;
  app: ReturnType<typeof createApp>;
  mail: MailCatcher;
  /** A new client with its own cookie jar and (by default) its own IP. */
  client(ip?: string): TestClient;
  /** Sign up, verify through the emailed link, sign in: a ready browser session. */
  signedInUser(opts?: { name?: string; email?: string; password?: string }): Promise<{ client: TestClient; email: string; password: string; userId: string }>;
  close(): Promise<void>;
}

/** A response read whole: its text, and its JSON when the text is JSON (else undefined). */
export async function readResponse(res: Response): Promise<TestResponse> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A cookie jar's update from a response, as a browser does it (a cleared or expired cookie is dropped). */
export function applySetCookies(cookies: Map<string, string>, headers: Headers): void {
  for (const line of headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    if (value === "" || attrs.some((a) => /max-age=0\b/i.test(a.trim()))) cookies.delete(name);
    else cookies.set(name, value);
  }
}

/**
 * In a describe block: start an instance before its tests (handed to `assign`), close it after
 * them, and undo fake timers after each test.
 */
export function useTestInstance(kind: DbKind, assign: (t: TestInstance) => void, env: Record<string, string> = {}): void {
  let made: TestInstance | undefined;
  beforeAll(async () => {
    made = await createTestInstance(kind, env);
    assign(made);
  });
  afterAll(async () => {
    await made?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** A guest reader (Better Auth's anonymous plugin), as the first question makes one. */
export interface AnonymousReader {
  client: TestClient;
  id: string;
  /** The guest's Cookie header, to try it again after the guest is gone. */
  cookie: string;
}

export async function anonymousReader(t: TestInstance, ip?: string): Promise<AnonymousReader> {
  const client = t.client(ip);
  const res = await client.post("/api/auth/sign-in/anonymous", {});
  if (res.status !== 200) throw new Error(`anonymous sign-in failed: ${res.status} ${res.text}`);
  const me = await client.get("/api/v1/me");
  if (!me.json?.isAnonymous) throw new Error(`not a guest after anonymous sign-in: ${me.status} ${me.text}`);
  return { client, id: me.json.id as string, cookie: client.cookieHeader() };
}

let ipSeq = 0;
/** A distinct documentation-range address per client, so per-IP limits don't collide across tests. */
export function nextIp(): string {
  ipSeq++;
  return `198.51.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
}

let emailSeq = 0;
export function uniqueEmail(prefix = "reader"): string {
  return `${prefix}.${Date.now().toString(36)}${(++emailSeq).toString(36)}@example.com`;
}

export async function createTestInstance(kind: DbKind, env: Record<string, string> = {}): Promise<TestInstance> {
  const mail = await startMailCatcher();
  const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-test-"));
  let dropPg: (() => Promise<void>) | undefined;
  let databaseUrl = path.join(dataDir, "test.db");
  if (kind === "postgres") {
    const pgdb = await createTestPgDatabase();
    databaseUrl = pgdb.url;
    dropPg = pgdb.drop;
  }
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    BETTER_AUTH_SECRET: "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    BETTER_AUTH_URL: BASE_URL,
    SMTP_URL: mail.url,
    LOG_LEVEL: "silent",
    // CI runs the integration suite twice: FAST_PATHS=off sends everything through Better Auth's own code.
    FAST_PATHS: process.env.FAST_PATHS ?? "on",
    ...env,
  });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const services = await createServices(config, { logger });
  const app = createApp(services);

  function client(ip = nextIp()): TestClient {
    const cookies = new Map<string, string>();
    const cookieHeader = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    async function request(method: string, url: string, body?: unknown, opts: RequestOptions = {}): Promise<TestResponse> {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (!opts.noOrigin && method !== "GET" && !("origin" in headers)) headers.origin = BASE_URL;
      if (cookies.size && !("cookie" in headers)) headers.cookie = cookieHeader();
      let payload: string | undefined;
      if (opts.raw !== undefined) payload = opts.raw;
      else if (body !== undefined) {
        payload = JSON.stringify(body);
        headers["content-type"] ??= "application/json";
      }
      const res = await app.request(
        url.startsWith("http") ? url : `${BASE_URL}${url}`,
        { method, headers, body: payload, redirect: "manual" },
        { incoming: { socket: { remoteAddress: opts.ip ?? ip, remotePort: 40000, remoteFamily: "IPv4" } } },
      );
      applySetCookies(cookies, res.headers);
      return readResponse(res);
    }
    return {
      ip,
      cookies,
      cookieHeader,
      request,
      get: (url, opts) => request("GET", url, undefined, opts),
      post: (url, body, opts) => request("POST", url, body, opts),
      patch: (url, body, opts) => request("PATCH", url, body, opts),
    };
  }

  async function signedInUser(opts: { name?: string; email?: string; password?: string } = {}) {
    const email = opts.email ?? uniqueEmail();
    const password = opts.password ?? STRONG_PASSWORD;
    const c = client();
    const since = Date.now();
    const signUp = await c.post("/api/auth/sign-up/email", { name: opts.name ?? "Test Reader", email, password });
    if (signUp.status !== 200) throw new Error(`sign-up failed: ${signUp.status} ${signUp.text}`);
    const verify = await mail.waitFor(email, { subject: /verify/i, since });
    const link = mail.linkFrom(verify, "/api/auth/verify-email");
    const verified = await c.get(link);
    if (verified.status !== 302) throw new Error(`verification failed: ${verified.status} ${verified.text}`);
    const me = await c.get("/api/v1/me");
    if (me.status !== 200) throw new Error(`not signed in after verification: ${me.status} ${me.text}`);
    return { client: c, email, password, userId: me.json.id as string };
  }

  return {
    kind,
    services,
    app,
    mail,
    client,
    signedInUser,
    async close() {
      await services.close();
      await mail.close();
      if (dropPg) await dropPg();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
