/**
 * Operations and the account API, end to end on both databases: liveness and readiness,
 * security headers on every kind of response, clean error bodies, the OpenAPI document,
 * preferences, roles (ADMIN_EMAILS, no self-promotion, admin-only routes) and the caller's
 * security events. ASVS ids are in the test names.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/server/app.ts";
import { promoteConfiguredAdmins } from "../../src/server/account/admin-emails.ts";
import { loadConfig } from "../../src/server/config/index.ts";
import { LANGUAGES } from "../../src/shared/preferences.ts";
import {
  createTestInstance,
  DB_KINDS,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestClient,
  type TestInstance,
  type TestResponse,
} from "../support/instance.ts";

const BOSS = "boss@example.com";
const PROD_SECRET = "Pq7wX2mZr9Lk4Vt8Ns3Hb6Yc1Fd5Gj0Ae2Ku7Qo";
const DEFAULTS = { theme: "system", language: "en", notifications: { security: true, product: false } };

function expectSecurityHeaders(res: TestResponse, what: string, opts: { hsts: boolean }) {
  const h = res.headers;
  const csp = h.get("content-security-policy") ?? "";
  const directives = csp.split(";").map((d) => d.trim());
  // 3.4.3, 3.4.6
  expect(directives, `${what}: CSP`).toEqual(expect.arrayContaining(["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]));
  expect(h.get("x-content-type-options"), `${what}: nosniff`).toBe("nosniff"); // 3.4.4
  expect(h.get("referrer-policy"), `${what}: Referrer-Policy`).toMatch(/^(no-referrer|strict-origin|strict-origin-when-cross-origin|same-origin)$/); // 3.4.5
  if (opts.hsts) expect(h.get("strict-transport-security"), `${what}: HSTS`).toMatch(/^max-age=(\d+)/); // 3.4.1
  else expect(h.get("strict-transport-security"), `${what}: no HSTS`).toBeNull();
  if (opts.hsts) expect(Number(/max-age=(\d+)/.exec(h.get("strict-transport-security")!)![1])).toBeGreaterThanOrEqual(31_536_000);
}

/** 16.5.1 / 15.3.1: an error is { code, message } JSON with no stack trace, internals or secret. */
function expectCleanError(res: TestResponse, t: TestInstance, status: number, code?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(typeof res.json?.code, res.text).toBe("string");
  expect(typeof res.json?.message, res.text).toBe("string");
  if (code) expect(res.json.code).toBe(code);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|\bat .+:\d+:\d+|node_modules|node:internal|\.ts:\d+|stack/i);
  expect(res.text).not.toMatch(/Sqlite|SQLITE_|postgres|relation "|syntax error|destroyed|ECONNREFUSED/i);
  expect(res.text).not.toContain(t.services.config.secret);
  expect(res.text).not.toMatch(/\$argon2|scrypt/);
}

describe.each(DB_KINDS)("ops on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { ADMIN_EMAILS: BOSS });
  });
  afterAll(async () => {
    await t?.close();
  });

  // Must run first: nothing has signed up yet.
  it("6.3.2 a fresh database has no account at all, so no default admin", async () => {
    const users = await t.services.db.kysely.selectFrom("user").select("id").execute();
    expect(users).toEqual([]);
    expect(await t.services.db.kysely.selectFrom("account").select("id").execute()).toEqual([]);
  });

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

  describe("preferences", () => {
    it("a new user gets the defaults", async () => {
      const { client } = await t.signedInUser();
      const res = await client.get("/api/v1/me/preferences");
      expect(res.status).toBe(200);
      expect(res.json).toEqual(DEFAULTS);
      expect((await client.get("/api/v1/me")).json.preferences).toEqual(DEFAULTS);
    });

    it("PATCH theme dark persists; other fields keep their values", async () => {
      const { client } = await t.signedInUser();
      const patched = await client.patch("/api/v1/me/preferences", { theme: "dark" });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json).toEqual({ ...DEFAULTS, theme: "dark" });
      expect((await client.get("/api/v1/me/preferences")).json).toEqual({ ...DEFAULTS, theme: "dark" });

      const more = await client.patch("/api/v1/me/preferences", { language: "fr", notifications: { product: true } });
      expect(more.status, more.text).toBe(200);
      const expected = { theme: "dark", language: "fr", notifications: { security: true, product: true } };
      expect(more.json).toEqual(expected);
      expect((await client.get("/api/v1/me/preferences")).json).toEqual(expected);
    });

    it.each([
      ["an invalid theme", { theme: "neon" }],
      ["turning security notifications off", { notifications: { security: false } }],
      ["an unknown key (15.3.3)", { theme: "dark", role: "admin" }],
      ["an unknown nested key", { notifications: { product: true, marketing: true } }],
      ["an unsupported language", { language: "xx" }],
      ["a non-boolean product flag", { notifications: { product: "yes" } }],
      ["a non-object body", ["theme", "dark"]],
    ])("refuses %s with 400 VALIDATION_FAILED and changes nothing", async (_label, body) => {
      const { client } = await t.signedInUser();
      const res = await client.patch("/api/v1/me/preferences", body);
      expectCleanError(res, t, 400, "VALIDATION_FAILED");
      expect((await client.get("/api/v1/me/preferences")).json).toEqual(DEFAULTS);
    });

    it("accepts every supported language", async () => {
      const { client } = await t.signedInUser();
      for (const language of LANGUAGES) {
        const res = await client.patch("/api/v1/me/preferences", { language });
        expect(res.status, language).toBe(200);
        expect(res.json.language).toBe(language);
      }
    });

    it("works with a bearer access token from the password grant", async () => {
      const { client, email, password } = await t.signedInUser();
      const token = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password });
      expect(token.status, token.text).toBe(200);
      const bearer = { authorization: `Bearer ${token.json.access_token}` };
      const api = t.client();
      expect((await api.get("/api/v1/me/preferences", { headers: bearer })).json).toEqual(DEFAULTS);
      const patched = await api.patch("/api/v1/me/preferences", { theme: "light" }, { headers: bearer });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json.theme).toBe("light");
      // The browser session sees the same preferences.
      expect((await client.get("/api/v1/me/preferences")).json.theme).toBe("light");
      expect((await api.patch("/api/v1/me/preferences", { theme: "neon" }, { headers: bearer })).json.code).toBe("VALIDATION_FAILED");
      // A refresh token is not an access token.
      const wrong = await api.get("/api/v1/me/preferences", { headers: { authorization: `Bearer ${token.json.refresh_token}` } });
      expectCleanError(wrong, t, 401, "UNAUTHORIZED");
    });

    it("unauthenticated PATCH is 401 and writes nothing", async () => {
      const res = await t.client().patch("/api/v1/me/preferences", { theme: "dark" });
      expectCleanError(res, t, 401, "UNAUTHORIZED");
    });
  });

  describe("roles", () => {
    it("a new user is a 'user'", async () => {
      const { client, userId } = await t.signedInUser();
      expect((await client.get("/api/v1/me")).json.role).toBe("user");
      const row = await t.services.db.kysely.selectFrom("user").select("role").where("id", "=", userId).executeTakeFirstOrThrow();
      expect(row.role).toBe("user");
    });

    it("8.2.3 update-user cannot set role, banned or emailVerified on oneself", async () => {
      const { client, userId } = await t.signedInUser();
      for (const body of [{ role: "admin" }, { name: "Sneaky", role: "admin" }, { banned: true }, { emailVerified: false }]) {
        const res = await client.post("/api/auth/update-user", body);
        expect(res.status, `${JSON.stringify(body)}: ${res.text}`).toBe(400);
        expectCleanError(res, t, 400);
      }
      const row = await t.services.db.kysely
        .selectFrom("user")
        .select(["role", "banned", "emailVerified", "name"])
        .where("id", "=", userId)
        .executeTakeFirstOrThrow();
      expect(row.role).toBe("user");
      expect(Boolean(row.banned)).toBe(false);
      expect(Boolean(row.emailVerified)).toBe(true);
      expect(row.name).not.toBe("Sneaky");
      expect((await client.get("/api/v1/me")).json.role).toBe("user");
    });

    it("ADMIN_EMAILS: the address is a 'user' until verified, then 'admin', with a role_changed event (8.2.1 admin route)", async () => {
      const c = t.client();
      const since = Date.now();
      const signUp = await c.post("/api/auth/sign-up/email", { name: "The Boss", email: BOSS, password: STRONG_PASSWORD });
      expect(signUp.status, signUp.text).toBe(200);
      const row = () => t.services.db.kysely.selectFrom("user").select(["id", "role", "emailVerified"]).where("email", "=", BOSS).executeTakeFirstOrThrow();
      expect(await row()).toMatchObject({ role: "user" });
      expect(Boolean((await row()).emailVerified)).toBe(false);

      // Unverified: never admin, not even when the start-up promotion runs again.
      await promoteConfiguredAdmins(t.services.db.kysely, [BOSS], t.services.audit);
      expect((await row()).role).toBe("user");
      const token = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: BOSS, password: STRONG_PASSWORD });
      expect(token.status).toBe(403);
      expect(token.json.code).toBe("EMAIL_NOT_VERIFIED");

      const mail = await t.mail.waitFor(BOSS, { subject: /verify/i, since });
      const verified = await c.get(t.mail.linkFrom(mail, "/api/auth/verify-email"));
      expect(verified.status).toBe(302);
      const me = await c.get("/api/v1/me");
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ email: BOSS, role: "admin", emailVerified: true });

      const { id } = await row();
      const events = await t.services.db.kysely.selectFrom("security_event").selectAll().where("user_id", "=", id).where("type", "=", "role_changed").execute();
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.detail!)).toMatchObject({ from: "user", to: "admin", by: "ADMIN_EMAILS" });
      const own = await c.get("/api/v1/me/security-events");
      expect(own.json.events.map((e: { type: string }) => e.type)).toContain("role_changed");

      // 8.2.1 an admin-only Better Auth route: 200 for the admin, 403 for a user, 401 for nobody.
      const list = await c.get("/api/auth/admin/list-users");
      expect(list.status, list.text).toBe(200);
      expect(list.json.users.map((u: { email: string }) => u.email)).toContain(BOSS);
      const user = await t.signedInUser();
      const forbidden = await user.client.get("/api/auth/admin/list-users");
      expectCleanError(forbidden, t, 403);
      expect(forbidden.text).not.toContain(BOSS);
      expect((await t.client().get("/api/auth/admin/list-users")).status).toBe(401);
      // A bearer token minted for the admin carries the role.
      const adminToken = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: BOSS, password: STRONG_PASSWORD });
      expect(adminToken.status).toBe(200);
      expect((await t.client().get("/api/v1/me", { headers: { authorization: `Bearer ${adminToken.json.access_token}` } })).json.role).toBe("admin");
    });

    it("an address not in ADMIN_EMAILS stays a 'user' after verification", async () => {
      const { client } = await t.signedInUser({ email: uniqueEmail("notboss") });
      expect((await client.get("/api/v1/me")).json.role).toBe("user");
      expect((await client.get("/api/auth/admin/list-users")).status).toBe(403);
    });
  });

  describe("security events", () => {
    const insertEvents = (userId: string, times: number[], type = "sign_in") =>
      t.services.db.kysely
        .insertInto("security_event")
        .values(times.map((created_at) => ({ id: randomUUID(), user_id: userId, type, ip: "198.51.100.7", user_agent: "test", detail: null, created_at })))
        .execute();

    async function allPages(client: TestClient, limit: number) {
      const seen: { id: string; createdAt: string }[] = [];
      let url = `/api/v1/me/security-events?limit=${limit}`;
      for (let i = 0; i < 50; i++) {
        const res = await client.get(url);
        expect(res.status, res.text).toBe(200);
        // Only a run of events in one millisecond may make a page longer than `limit`.
        const ms = new Set(res.json.events.map((e: { createdAt: string }) => e.createdAt));
        if (res.json.events.length > limit) expect(ms.size).toBe(1);
        seen.push(...res.json.events);
        if (res.json.nextBefore === null) return seen;
        expect(typeof res.json.nextBefore).toBe("number");
        url = `/api/v1/me/security-events?limit=${limit}&before=${res.json.nextBefore}`;
      }
      throw new Error("pagination did not end");
    }

    it("16.3.1 lists only the caller's own events, newest first, paged by limit and nextBefore", async () => {
      const a = await t.signedInUser();
      const b = await t.signedInUser();
      const base = Date.now() - 60_000;
      await insertEvents(a.userId, [base + 1000, base + 2000, base + 3000, base + 4000, base + 5000]);
      await insertEvents(b.userId, [base + 1500, base + 2500, base + 3500], "password_changed");

      const full = await a.client.get("/api/v1/me/security-events");
      expect(full.status).toBe(200);
      expect(full.headers.get("cache-control")).toBe("no-store");
      const events = full.json.events as { id: string; type: string; createdAt: string; ip: string | null }[];
      const mine = await t.services.db.kysely.selectFrom("security_event").select("id").where("user_id", "=", a.userId).execute();
      expect(events.map((e) => e.id).sort()).toEqual(mine.map((r) => r.id).sort());
      expect(events.some((e) => e.type === "password_changed")).toBe(false);
      expect(events.map((e) => e.type)).toContain("email_verified");
      const times = events.map((e) => Date.parse(e.createdAt));
      expect([...times].sort((x, y) => y - x)).toEqual(times);
      expect(full.json.nextBefore).toBeNull();

      const page1 = await a.client.get("/api/v1/me/security-events?limit=2");
      expect(page1.json.events.map((e: { id: string }) => e.id)).toEqual(events.slice(0, 2).map((e) => e.id));
      expect(page1.json.nextBefore).toBe(Date.parse(events[1]!.createdAt));
      const page2 = await a.client.get(`/api/v1/me/security-events?limit=2&before=${page1.json.nextBefore}`);
      expect(page2.json.events.map((e: { id: string }) => e.id)).toEqual(events.slice(2, 4).map((e) => e.id));

      const walked = await allPages(a.client, 2);
      expect(walked.map((e) => e.id)).toEqual(events.map((e) => e.id));

      // b sees only b's.
      const theirs = await b.client.get("/api/v1/me/security-events?limit=100");
      expect(theirs.json.events.every((e: { id: string }) => !events.some((x) => x.id === e.id))).toBe(true);
      expect(theirs.json.events.filter((e: { type: string }) => e.type === "password_changed")).toHaveLength(3);
    });

    // Regression: the cursor is exclusive in milliseconds, so events sharing the millisecond at a
    // page boundary were skipped (e.g. email_verified and role_changed, written in one request).
    it("paging never skips or repeats events that share a millisecond", async () => {
      const a = await t.signedInUser();
      const at = Date.now() + 60_000;
      await insertEvents(a.userId, [at, at, at, at - 10, at - 10, at - 20]);
      const everything = (await a.client.get("/api/v1/me/security-events?limit=100")).json.events as { id: string }[];
      for (const limit of [1, 2, 3, 4]) {
        const walked = await allPages(a.client, limit);
        expect(walked.map((e) => e.id), `limit ${limit}`).toEqual(everything.map((e) => e.id));
      }
    });

    it("unauthenticated → 401 JSON with code UNAUTHORIZED and a WWW-Authenticate header", async () => {
      for (const headers of [{}, { authorization: "Bearer not-a-token" }, { authorization: "Basic Zm9vOmJhcg==" }] as Record<string, string>[]) {
        const res = await t.client().get("/api/v1/me/security-events", { headers });
        expectCleanError(res, t, 401, "UNAUTHORIZED");
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
      }
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

describe.each(DB_KINDS)("ADMIN_EMAILS without required verification on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { ADMIN_EMAILS: `${BOSS}, other.boss@example.com`, REQUIRE_EMAIL_VERIFICATION: "false" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("an unverified account with an admin address can sign in but is never admin; verifying makes it admin", async () => {
    const c = t.client();
    const since = Date.now();
    expect((await c.post("/api/auth/sign-up/email", { name: "Maybe Boss", email: BOSS, password: STRONG_PASSWORD })).status).toBe(200);
    const token = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: BOSS, password: STRONG_PASSWORD });
    expect(token.status, token.text).toBe(200);
    const bearer = { authorization: `Bearer ${token.json.access_token}` };
    const me = await t.client().get("/api/v1/me", { headers: bearer });
    expect(me.json).toMatchObject({ email: BOSS, role: "user", emailVerified: false });

    // A browser sign-in and a start-up promotion change nothing while unverified.
    const signIn = await c.post("/api/auth/sign-in/email", { email: BOSS, password: STRONG_PASSWORD });
    expect(signIn.status, signIn.text).toBe(200);
    expect((await c.get("/api/auth/admin/list-users")).status).toBe(403);
    await promoteConfiguredAdmins(t.services.db.kysely, t.services.config.env.ADMIN_EMAILS, t.services.audit);
    expect((await t.client().get("/api/v1/me", { headers: bearer })).json.role).toBe("user");
    expect(await t.services.db.kysely.selectFrom("security_event").select("id").where("type", "=", "role_changed").execute()).toEqual([]);

    const mail = await t.mail.waitFor(BOSS, { subject: /verify/i, since });
    expect((await t.client().get(t.mail.linkFrom(mail, "/api/auth/verify-email"))).status).toBe(302);
    // The role is read from the database on each request, so the same access token now shows it (8.3.2).
    const after = await t.client().get("/api/v1/me", { headers: bearer });
    expect(after.json).toMatchObject({ role: "admin", emailVerified: true });
    expect((await c.get("/api/auth/admin/list-users")).status).toBe(200);
  });
});
