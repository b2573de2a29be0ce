/**
 * The HTTP surface, end to end on both databases: liveness and readiness, security headers on
 * every kind of response (and HSTS in production over https), clean error bodies, the OpenAPI
 * document. ASVS ids are in the test names.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.ts";
import { loadConfig } from "../../../src/server/config/index.ts";
import { LANGUAGES } from "../../../src/shared/preferences.ts";
import { createTestInstance, STRONG_PASSWORD, uniqueEmail, DB_KINDS, useTestInstance, type TestInstance, type TestResponse } from "../../support/instance.ts";
import { BOSS, PROD_SECRET, expectSecurityHeaders, expectCleanError } from "./support.ts";

describe.each(DB_KINDS)("http surface on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made), { ADMIN_EMAILS: BOSS });

  describe("health", () => {
    it("GET /health answers 200 {status:ok}", async () => {
      const res = await t.client().get("/health");
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: "ok" });
    });

    it("GET /ready answers 200 with the database kind", async () => {
      const res = await t.client().get("/ready");
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: "ready", database: kind });
    });
  });

  describe("headers and error bodies", () => {
    it("3.4.x security headers on every response, without HSTS outside production", async () => {
      const { client } = await t.signedInUser();
      const anon = t.client();
      const responses: [string, TestResponse][] = [
        ["/health", await anon.get("/health")],
        ["/ready", await anon.get("/ready")],
        ["404", await anon.get("/no/such/page")],
        ["api 404", await anon.get("/api/v1/nothing-here")],
        ["auth 404", await anon.get("/api/auth/nothing-here")],
        ["401", await anon.get("/api/v1/me")],
        ["me", await client.get("/api/v1/me")],
        ["400", await client.patch("/api/v1/me/preferences", { theme: "neon" })],
        ["415", await client.request("PATCH", "/api/v1/me/preferences", undefined, { raw: "theme=dark", headers: { "content-type": "text/plain" } })],
        ["413", await client.request("PATCH", "/api/v1/me/preferences", undefined, { raw: JSON.stringify({ x: "a".repeat(70_000) }), headers: { "content-type": "application/json" } })],
        ["openapi", await anon.get("/api/v1/openapi.json")],
        ["get-session", await client.get("/api/auth/get-session")],
        ["jwks", await anon.get("/api/auth/jwks")],
      ];
      for (const [what, res] of responses) expectSecurityHeaders(res, what, { hsts: false });
      expect(responses.map(([, r]) => r.status)).toEqual([200, 200, 404, 404, 404, 401, 200, 400, 415, 413, 200, 200, 200]);
      // The web app's HTML (built: the page; not built: a 503 explaining how to build it).
      const page = await anon.get("/account", { headers: { accept: "text/html" } });
      expect([200, 503]).toContain(page.status);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expectSecurityHeaders(page, "web app page", { hsts: false });
    });

    it("16.5.1 error bodies are { code, message } without stack traces or secrets", async () => {
      const { client } = await t.signedInUser();
      const anon = t.client();
      expectCleanError(await anon.get("/no/such/page"), t, 404, "NOT_FOUND");
      expectCleanError(await anon.get("/api/auth/nothing-here"), t, 404);
      expectCleanError(await anon.get("/api/v1/me"), t, 401, "UNAUTHORIZED");
      expectCleanError(await client.patch("/api/v1/me/preferences", { theme: "neon" }), t, 400, "VALIDATION_FAILED");
      expectCleanError(await client.request("PATCH", "/api/v1/me/preferences", undefined, { raw: "{bad json", headers: { "content-type": "application/json" } }), t, 400, "INVALID_JSON");
      expectCleanError(await anon.post("/api/v1/auth/token", { grant_type: "password", email: uniqueEmail(), password: "wrong password here" }), t, 400);
      expectCleanError(await anon.post("/api/v1/auth/token", { grant_type: "refresh_token", refresh_token: "aibk_rt_nope" }), t, 400);
    });

    it("14.3.2 Cache-Control: no-store on /api/v1/me and on token responses", async () => {
      const { client, email, password } = await t.signedInUser();
      const me = await client.get("/api/v1/me");
      expect(me.status).toBe(200);
      expect(me.headers.get("cache-control")).toBe("no-store");
      expect((await client.get("/api/v1/me/preferences")).headers.get("cache-control")).toBe("no-store");
      const token = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password });
      expect(token.status).toBe(200);
      expect(token.headers.get("cache-control")).toBe("no-store");
      const refreshed = await t.client().post("/api/v1/auth/token", { grant_type: "refresh_token", refresh_token: token.json.refresh_token });
      expect(refreshed.status).toBe(200);
      expect(refreshed.headers.get("cache-control")).toBe("no-store");
      const failed = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password: "not the password" });
      expect(failed.status).toBe(400);
      expect(failed.headers.get("cache-control")).toBe("no-store");
      expect((await client.get("/api/auth/get-session")).headers.get("cache-control")).toBe("no-store");
    });

    it("15.3.1 /api/v1/me shows no password hash, session token or secret", async () => {
      const { client } = await t.signedInUser();
      const me = await client.get("/api/v1/me");
      expect(Object.keys(me.json)).toEqual(expect.arrayContaining(["id", "email", "name", "role", "emailVerified", "preferences"]));
      for (const key of Object.keys(me.json)) expect(key).not.toMatch(/password|token|secret|hash|ban/i);
      expect(me.text).not.toContain(t.services.config.secret);
      expect(me.text).not.toMatch(/\$argon2|scrypt/);
      const session = await t.services.db.kysely.selectFrom("session").select("token").where("userId", "=", me.json.id).execute();
      expect(session.length).toBeGreaterThan(0);
      for (const { token } of session) expect(me.text).not.toContain(token);
    });
  });

  describe("OpenAPI", () => {
    it("GET /api/v1/openapi.json is an OpenAPI 3.1 document listing our routes, with resolvable $refs", async () => {
      const res = await t.client().get("/api/v1/openapi.json");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const doc = res.json;
      expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(doc.servers).toEqual([{ url: t.services.config.baseURL }]);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(["/api/v1/auth/token", "/api/v1/me", "/api/v1/me/preferences", "/api/v1/me/security-events"]),
      );
      expect(doc.paths["/api/v1/auth/token"].post.responses["200"]).toBeDefined();
      expect(doc.paths["/api/v1/me/preferences"].patch.requestBody).toBeDefined();
      for (const [p, item] of Object.entries<Record<string, { responses?: unknown }>>(doc.paths)) {
        expect(p.startsWith("/")).toBe(true);
        for (const [method, op] of Object.entries(item)) {
          expect(["get", "put", "post", "patch", "delete", "head", "options"]).toContain(method);
          expect(op.responses, `${method} ${p}`).toBeTypeOf("object");
        }
      }
      // Every local $ref points at something that exists.
      const refs: string[] = [];
      JSON.stringify(doc, (k, v) => {
        if (k === "$ref" && typeof v === "string") refs.push(v);
        return v;
      });
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref.startsWith("#/"), ref).toBe(true);
        const target = ref
          .slice(2)
          .split("/")
          .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
        expect(target, ref).toBeTypeOf("object");
      }
      // The schema matches what the server accepts.
      expect(doc.components.schemas.Preferences.properties.language.enum).toEqual([...LANGUAGES]);
    });
  });
});

describe.each(DB_KINDS)("production over https on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { NODE_ENV: "production", BETTER_AUTH_URL: "https://books.example", BETTER_AUTH_SECRET: PROD_SECRET });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("3.4.1 HSTS (with every other header) on success, 404, 401 and auth responses", async () => {
    expect(t.services.config.production).toBe(true);
    const c = t.client();
    const responses: [string, TestResponse][] = [
      ["/health", await c.get("/health")],
      ["/ready", await c.get("/ready")],
      ["404", await c.get("/nope")],
      ["401", await c.get("/api/v1/me")],
      ["openapi", await c.get("/api/v1/openapi.json")],
      ["jwks", await c.get("/api/auth/jwks")],
      ["auth 404", await c.get("/api/auth/nope")],
    ];
    for (const [what, res] of responses) expectSecurityHeaders(res, what, { hsts: true });
    expect(responses.map(([, r]) => r.status)).toEqual([200, 200, 404, 401, 200, 200, 404]);
    expect((await c.get("/api/v1/openapi.json")).json.servers).toEqual([{ url: "https://books.example" }]);
  });

  it("no HSTS in production over plain http (ALLOW_INSECURE_HTTP) or over https outside production", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "aibook-ops-"));
    try {
      const base = { DATA_DIR: dataDir, BETTER_AUTH_SECRET: PROD_SECRET, SMTP_URL: t.mail.url, LOG_LEVEL: "silent" };
      const insecure = loadConfig({ ...base, NODE_ENV: "production", BETTER_AUTH_URL: "http://books.internal", ALLOW_INSECURE_HTTP: "true" });
      // Any non-production NODE_ENV ("test" here: "development" would also watch the book folder).
      const staging = loadConfig({ ...base, NODE_ENV: "test", BETTER_AUTH_URL: "https://staging.books.example" });
      for (const config of [insecure, staging]) {
        const app = createApp({ ...t.services, config });
        const res = await app.request("http://localhost/health");
        expect(res.status).toBe(200);
        expect(res.headers.get("strict-transport-security")).toBeNull();
        expect(res.headers.get("content-security-policy")).toContain("object-src 'none'");
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // Last: closes this instance's database.
  it("with the database gone: /ready 503 NOT_READY, /health still 200, errors stay clean and keep their headers", async () => {
    await t.services.db.close();
    const c = t.client();
    const ready = await c.get("/ready");
    expectCleanError(ready, t, 503, "NOT_READY");
    expectSecurityHeaders(ready, "/ready 503", { hsts: true });

    const health = await c.get("/health");
    expect(health.status).toBe(200);

    // Any database-backed route now fails: a generic 500, never the driver's message.
    const token = await c.post("/api/v1/auth/token", { grant_type: "password", email: uniqueEmail(), password: STRONG_PASSWORD });
    expectCleanError(token, t, 500, "INTERNAL_ERROR");
    expectSecurityHeaders(token, "token 500", { hsts: true });
    expect(token.headers.get("cache-control")).toBe("no-store");

    const session = await c.get("/api/auth/get-session", { headers: { cookie: "__Secure-better-auth.session_token=abc.def" } });
    expect(session.status).toBeGreaterThanOrEqual(500);
    expectCleanError(session, t, session.status);
    expectSecurityHeaders(session, "auth 500", { hsts: true });
  });
});
