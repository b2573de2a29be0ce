/**
 * A virtual reader's HTTP client: its own TLS connections to nginx from its own loopback
 * address (127.77.x.y: nginx sees a distinct client and appends it to X-Forwarded-For, as it
 * would for readers on the internet), its own cookie jar, and every answer recorded.
 */
import https from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { parseSse, type SseEvent } from "../support/sse.ts";

export type Outcome =
  | "ok" // the status the action expects
  | "4xx" // another 4xx (not 429)
  | "429"
  | "503-retry-after" // 503 with Retry-After: the app's "briefly unavailable"
  | "503-bare" // 503 without Retry-After
  | "502" // nginx: the instance died with the request in flight
  | "504"
  | "500"
  | "5xx-other"
  | "stream-cut" // an answer cut mid-body, or an event stream that ended without `done` or `error`
  | "stream-unavailable" // a 200 event stream that ended with `error` SERVICE_UNAVAILABLE: the stream's 503
  | "connection-error" // to nginx: refused, reset
  | "timeout";

export interface Sample {
  route: string;
  method: string;
  start: number;
  end: number;
  status: number | null;
  outcome: Outcome;
  detail?: string;
}

export interface Answer {
  status: number | null;
  headers: IncomingHttpHeaders;
  text: string;
  json: any;
  /** Server-sent events, for text/event-stream answers. */
  events?: SseEvent[];
  outcome: Outcome;
}

export class Recorder {
  readonly samples: Sample[] = [];
  constructor(readonly t0: number) {}
  add(s: Sample) {
    this.samples.push(s);
  }
}

function classify(status: number | null, headers: IncomingHttpHeaders, expected: number[], cut: boolean, error?: string, events?: SseEvent[]): Outcome {
  if (status === null) return error === "timeout" ? "timeout" : "connection-error";
  if (cut) return "stream-cut";
  if (events?.at(-1)?.event === "error" && events.at(-1)!.data?.code === "SERVICE_UNAVAILABLE") return "stream-unavailable";
  if (expected.includes(status)) return "ok";
  if (status === 429) return "429";
  if (status === 503) return headers["retry-after"] ? "503-retry-after" : "503-bare";
  if (status === 502) return "502";
  if (status === 504) return "504";
  if (status === 500) return "500";
  if (status >= 500) return "5xx-other";
  return "4xx";
}

/** The complete events of an event stream (one cut mid-event keeps the events before the cut). */
function completeEvents(text: string): SseEvent[] {
  return parseSse(text.slice(0, text.lastIndexOf("\n\n") + 2));
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  bearer?: string;
  /** Statuses this action expects (default 200). */
  expect?: number[];
  /** Send no cookie. */
  noCookies?: boolean;
  timeoutMs?: number;
}

export class HttpClient {
  readonly cookies = new Map<string, string>();
  private readonly agent: https.Agent;

  constructor(
    readonly base: string,
    readonly ip: string,
    ca: string,
    /** Where answers are recorded (set-up and run keep separate books). */
    public recorder: Recorder,
  ) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, localAddress: ip, ca });
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private applySetCookies(headers: IncomingHttpHeaders) {
    for (const line of headers["set-cookie"] ?? []) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === "" || attrs.some((a) => /max-age=0\b/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request through nginx, recorded under `route`. Never throws. */
  request(method: string, pathAndQuery: string, route: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { "user-agent": "aibook-load", ...(opts.headers ?? {}) };
    if (method !== "GET" && !("origin" in headers)) headers.origin = this.base;
    if (!opts.noCookies && this.cookies.size) headers.cookie = this.cookieHeader();
    if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
    let payload: string | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    if (payload !== undefined) headers["content-length"] = String(Buffer.byteLength(payload));
    else if (method === "POST") headers["content-length"] = "0";
    const expected = opts.expect ?? [200];
    const start = performance.now();
    const url = new URL(pathAndQuery, this.base);
    return new Promise<Answer>((resolve) => {
      let settled = false;
      const finish = (status: number | null, resHeaders: IncomingHttpHeaders, text: string, aborted: boolean, error?: string) => {
        if (settled) return;
        settled = true;
        const events = String(resHeaders["content-type"] ?? "").includes("text/event-stream") ? completeEvents(text) : undefined;
        // An event stream that ends without its last event was cut too (the instance died, or
        // the app gave up without telling the reader).
        const cut = aborted || (status === 200 && events !== undefined && !events.some((e) => e.event === "done" || e.event === "error"));
        const outcome = classify(status, resHeaders, expected, cut, error, events);
        const answer: Answer = { status, headers: resHeaders, text, json: undefined, outcome, events };
        if (!events && text) {
          try {
            answer.json = JSON.parse(text);
          } catch {
            // not JSON (a page)
          }
        }
        this.recorder.add({ route, method, start: start - this.recorder.t0, end: performance.now() - this.recorder.t0, status, outcome, detail: error ?? (outcome === "ok" ? undefined : text.slice(0, 200)) });
        resolve(answer);
      };
      const req = https.request(
        { hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: this.agent, timeout: opts.timeoutMs ?? 30_000 },
        (res) => {
          this.applySetCookies(res.headers);
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => finish(res.statusCode ?? null, res.headers, Buffer.concat(chunks).toString("utf8"), false));
          // Ended mid-body (a chunked answer without its last chunk): what was written is kept.
          res.on("aborted", () => finish(res.statusCode ?? null, res.headers, Buffer.concat(chunks).toString("utf8"), true, "aborted mid-body"));
          res.on("error", () => finish(res.statusCode ?? null, res.headers, Buffer.concat(chunks).toString("utf8"), true, "aborted mid-body"));
        },
      );
      req.on("timeout", () => {
        finish(null, {}, "", false, "timeout");
        req.destroy();
      });
      req.on("error", (err: NodeJS.ErrnoException) => finish(null, {}, "", false, err.code ?? err.message));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  close() {
    this.agent.destroy();
  }
}

/** GET `path` through nginx once (readiness), trusting `ca`: the status, or null. */
export function probe(base: string, ca: string, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const url = new URL(path, base);
    const req = https.get({ hostname: url.hostname, port: url.port, path: url.pathname, ca, timeout: 2_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? null));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(null));
  });
}
