/**
 * The security review's view of the server: the whole app listening on a real socket
 * (127.0.0.1, a free port), spoken to with Node's own `fetch`, as an attacker's scripts would,
 * with a cookie jar per "browser" and an `X-Forwarded-For` address per client (the server trusts
 * loopback as its proxy).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { applySetCookies, BASE_URL, readResponse, createTestInstance, type DbKind, type TestInstance } from "../support/instance.ts";

export interface RealServer {
  t: TestInstance;
  /** http://127.0.0.1:<port> */
  url: string;
  browser(ip?: string): Browser;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface Browser {
  ip: string;
  cookies: Map<string, string>;
  /** `path` on the server; `origin` defaults to the site's own for non-GET (a browser's fetch). */
  request(method: string, path: string, opts?: { body?: unknown; raw?: string; headers?: Record<string, string>; origin?: string | null }): Promise<Answer>;
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

let ipSeq = 0;
const nextIp = () => `192.0.2.${(++ipSeq % 250) + 1}`;

export async function startRealServer(kind: DbKind, env: Record<string, string> = {}): Promise<RealServer> {
  const t = await createTestInstance(kind, { TRUSTED_PROXIES: "127.0.0.1", ...env });
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }) as http.Server;
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function browser(ip = nextIp()): Browser {
    const cookies = new Map<string, string>();
    async function request(method: string, path: string, opts: Parameters<Browser["request"]>[2] = {}): Promise<Answer> {
      const headers: Record<string, string> = { "x-forwarded-for": ip, ...(opts.headers ?? {}) };
      const origin = opts.origin === undefined ? (method === "GET" ? null : BASE_URL) : opts.origin;
      if (origin !== null && !("origin" in headers)) headers.origin = origin;
      if (cookies.size && !("cookie" in headers)) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["content-type"] ??= "application/json";
      }
      const target = path.startsWith(BASE_URL) ? path.slice(BASE_URL.length) : path;
      const res = await fetch(`${url}${target}`, { method, headers, body, redirect: "manual" });
      applySetCookies(cookies, res.headers);
      return readResponse(res);
    }
    return {
      ip,
      cookies,
      request,
      get: (path, headers) => request("GET", path, { headers }),
      post: (path, body, headers) => request("POST", path, { body, headers }),
    };
  }

  return {
    t,
    url,
    browser,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await t.close();
    },
  };
}
