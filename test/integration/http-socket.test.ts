import http from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/server/app.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

/**
 * Over a real socket the request is @hono/node-server's, whose body we read straight from the
 * socket (auth-routes.ts) and whose size we judge by Content-Length or, when chunked, by
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

  it("refuses malformed JSON over the socket with 400 INVALID_JSON", async () => {
    const res = await post("/api/auth/sign-in/email", '{"email": "a@example.com", "password": ', { chunked: true });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("INVALID_JSON");
  });
});
