import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/server/app.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

/**
 * Over a real socket the request is @hono/node-server's, whose body we read straight from the
 * socket (auth/routes/forward.ts) and whose size we judge by Content-Length or, when chunked, by
 * counting (app.ts). In-process tests build a Fetch Request and never take those paths.
 */
describe("auth routes over a real socket", () => {
  let t: TestInstance;
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    t = await createTestInstance("sqlite");
    server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" }) as http.Server;
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await t.close();
  });

  /** POST a JSON body; `chunked` sends it without Content-Length, in pieces. */
  function post(path: string, body: string, opts: { chunked?: boolean; headers?: Record<string, string> } = {}) {
    return new Promise<{ status: number; json: any; setCookie: string[] }>((resolve, reject) => {
      const headers: Record<string, string> = { "content-type": "application/json", origin: t.services.config.baseURL, ...opts.headers };
      if (!opts.chunked) headers["content-length"] = String(Buffer.byteLength(body));
      const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, json, setCookie: ([] as string[]).concat(res.headers["set-cookie"] ?? []) });
        });
      });
      req.on("error", reject);
      if (opts.chunked) {
        for (let i = 0; i < body.length; i += 1000) req.write(body.slice(i, i + 1000));
        req.end();
      } else req.end(body);
    });
  }

  it("signs in with a Content-Length body and with a chunked one", async () => {
    const u = await t.signedInUser();
    const body = JSON.stringify({ email: u.email, password: u.password });
    for (const chunked of [false, true]) {
      const res = await post("/api/auth/sign-in/email", body, { chunked });
      expect(res.status, `chunked: ${chunked}`).toBe(200);
      expect(res.json.user.email).toBe(u.email);
      expect(res.setCookie.some((c) => c.startsWith("better-auth.session_token="))).toBe(true);
    }
  });

  it("hands Better Auth the body we already read when it answers (callbackURL, sign-up)", async () => {
    const u = await t.signedInUser();
    const res = await post("/api/auth/sign-in/email", JSON.stringify({ email: u.email, password: u.password, callbackURL: "/chapters/2" }));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ redirect: true, url: "/chapters/2" });
    const up = await post("/api/auth/sign-up/email", JSON.stringify({ name: "Socket Reader", email: `socket.${Date.now()}@example.com`, password: "a long enough passphrase 3" }), {
      chunked: true,
    });
    expect(up.status).toBe(200);
    expect(up.json.user.name).toBe("Socket Reader");
  });

  it("refuses a body over the limit, declared or chunked, with 413 and writes nothing", async () => {
    const huge = JSON.stringify({ email: "big@example.com", password: "x".repeat(MAX_BODY_BYTES + 10) });
    const before = await t.services.db.kysely.selectFrom("security_event").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    for (const chunked of [false, true]) {
      const res = await post("/api/auth/sign-in/email", huge, { chunked });
      expect(res.status, `chunked: ${chunked}`).toBe(413);
      expect(res.json.code).toBe("PAYLOAD_TOO_LARGE");
    }
    const after = await t.services.db.kysely.selectFrom("security_event").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  // The 413 must reach the client every time, and the connection (or the client's pool) must
  // stay usable: answered without reading the body, the unread bytes reset the connection and
  // Node's fetch saw "socket closed" every other time.
  const OVERSIZED_ROUTES = ["/api/auth/sign-up/email", "/api/auth/sign-in/email", "/api/v1/auth/token"];
  const twoMegabytes = JSON.stringify({ name: "Big", email: "big@example.com", password: "x".repeat(2 * 1024 * 1024), grant_type: "password" });

  it("a 2 MB body: fetch reads the 413 twenty times in a row per route, and the pool's next request works", async () => {
    const base = `http://127.0.0.1:${port}`;
    for (const route of OVERSIZED_ROUTES) {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(base + route, {
          method: "POST",
          headers: { "content-type": "application/json", origin: t.services.config.baseURL },
          body: twoMegabytes,
        });
        expect(res.status, `${route} #${i}`).toBe(413);
        expect((await res.json()).code).toBe("PAYLOAD_TOO_LARGE");
        const next = await fetch(`${base}/api/v1/auth/providers`);
        expect(next.status, `the request after ${route} #${i}`).toBe(200);
        await next.text();
      }
    }
  });

  it("a 2 MB body on a raw socket, declared or chunked: the 413, then the next request on the same connection", async () => {
    for (const route of OVERSIZED_ROUTES) {
      for (let i = 0; i < 20; i++) {
        const chunked = i % 2 === 1;
        const socket = await connect(port);
        try {
          const answer = await exchange(socket, rawPost(route, twoMegabytes, chunked));
          expect(answer.head, `${route} #${i} chunked: ${chunked}`).toMatch(/^HTTP\/1\.1 413 /);
          expect(JSON.parse(answer.body).code).toBe("PAYLOAD_TOO_LARGE");
          expect(answer.head).not.toMatch(/^connection: close/im);
          const next = await exchange(socket, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
          expect(next.head).toMatch(/^HTTP\/1\.1 200 /);
        } finally {
          socket.destroy();
        }
      }
    }
  });

  it("a body too large to drain is refused at once with Connection: close", async () => {
    const socket = await connect(port);
    try {
      const head = `POST /api/auth/sign-in/email HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`;
      const answer = await exchange(socket, head + "{");
      expect(answer.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer.head).toMatch(/^connection: close/im);
    } finally {
      socket.destroy();
    }
  });

  it("refuses malformed JSON over the socket with 400 INVALID_JSON", async () => {
    const res = await post("/api/auth/sign-in/email", '{"email": "a@example.com", "password": ', { chunked: true });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("INVALID_JSON");
  });
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

function rawPost(path: string, body: string, chunked: boolean): string {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://localhost:7860\r\nContent-Type: application/json\r\n`;
  if (!chunked) return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  let out = `${head}Transfer-Encoding: chunked\r\n\r\n`;
  for (let i = 0; i < body.length; i += 65_536) {
    const piece = body.slice(i, i + 65_536);
    out += `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

/** Write a request and read one response (Content-Length framed) from the socket. */
function exchange(socket: net.Socket, request: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      cleanup();
      resolve({ head, body: buffer.subarray(end + 4, end + 4 + length).toString("utf8") });
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`connection closed before an answer (${buffer.length} bytes read)`));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
    };
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.write(request);
  });
}
