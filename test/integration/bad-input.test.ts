/**
 * Garbage in, 4xx out: every route we own or wrap answers malformed, mistyped, oversized,
 * hostile or oddly encoded input with a 4xx and our { code, message } body, never a 500
 * and never a 2xx — and writes nothing (ASVS 15.3.3 mass assignment, 15.3.6 `__proto__`,
 * 8.2.3 users cannot set role/emailVerified/banned, 16.5.1 no unexpected errors).
 * Rate limits are off here so they don't mask the answers under test.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../../src/server/app.ts";
import {
  createTestInstance,
  DB_KINDS,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestClient,
  type TestInstance,
  type TestResponse,
} from "../support/instance.ts";

/** Tables garbage must never change. security_event (audit) and rate_limit_counter (throttle, chat quotas) may grow. */
const PROTECTED_TABLES = ["user", "account", "session", "verification", "user_preferences", "refresh_token", "chat", "message", "reading_progress", "bookmark"] as const;

type Snapshot = Record<string, string[]>;

async function snapshot(t: TestInstance): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const table of PROTECTED_TABLES) {
    const rows = await t.services.db.kysely.selectFrom(table).selectAll().execute();
    out[table] = rows
      .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v instanceof Date ? v.toISOString() : v)))
      .sort();
  }
  return out;
}

async function expectNothingWritten(t: TestInstance, before: Snapshot) {
  const after = await snapshot(t);
  const counts = (s: Snapshot) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.length]));
  expect(counts(after)).toEqual(counts(before));
  expect(after).toEqual(before);
}

function expectRefused(res: TestResponse, label: string) {
  const where = `${label} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  expect(typeof res.json?.code, where).toBe("string");
  expect(typeof res.json?.message, where).toBe("string");
  expect(res.text, where).not.toMatch(/\n\s+at |node_modules|SqliteError|syntax error at/);
}

function expectNoServerError(res: TestResponse, label: string) {
  const where = `${label} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400) {
    expect(typeof res.json?.code, where).toBe("string");
    expect(typeof res.json?.message, where).toBe("string");
  }
}

function expectPrototypeClean() {
  const probe = {} as Record<string, unknown>;
  expect(probe.role).toBeUndefined();
  expect(probe.x).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "role")).toBe(false);
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "x")).toBe(false);
}

/**
 * What a string field means, which decides which odd values are garbage there:
 * an injection string is a fine *name* or *new password*, but never a valid email or token.
 */
type FieldKind = "email" | "name" | "password-check" | "password-new" | "token" | "opaque-token" | "enum" | "text";

const ODD = {
  "lone surrogate": "\ud800",
  "zero-width joiners": "\u200d\u200d\u200d",
  "RTL override": "\u202e",
  "10k combining marks": "a" + "\u0301".repeat(10_000),
  "NUL byte": "ab\u0000cd",
} as const;

/** Odd values embedded in an otherwise plausible value, for fields where that still makes garbage. */
const embeddedOdd = (kind: FieldKind, odd: string): string[] => {
  if (kind === "email") return [odd, `x${odd}y@example.com`];
  if (kind === "name") return [odd, `Bob${odd}gnp.exe`].filter((v) => odd !== ODD["zero-width joiners"] || v === odd);
  // Free text (a question, a chat title) may carry joiners and direction marks among visible
  // characters (Arabic, emoji sequences): alone, they are an empty message.
  return [odd];
};

const SQL_INJECTION = ["' OR 1=1 --", "admin'--", '" OR ""="', "1; DROP TABLE \"user\"; --"];
const NOSQL_INJECTION = [{ $gt: "" }, { $ne: null }, { $where: "1==1" }];
const WRONG_TYPES: unknown[] = [12345, { a: "b" }, ["x"], true];

interface RouteSpec {
  method: "POST" | "PATCH";
  path: string;
  /** Needs the signed-in client. */
  auth: boolean;
  /** A well-formed body (which may still fail on content: wrong password, bad token...). */
  valid: () => Record<string, unknown>;
  /** Fields whose absence makes the request invalid. */
  required: string[];
  /** String fields and what they hold. */
  strings: Record<string, FieldKind>;
  /** Non-string fields, with wrong-typed values to try. */
  others?: Record<string, unknown[]>;
  /** `{}` is garbage here (it is a valid request for delete-user and a PATCH). */
  emptyIsGarbage: boolean;
}

describe.each(DB_KINDS)("bad input on %s", (kind) => {
  let t: TestInstance;
  let user: { client: TestClient; email: string; password: string; userId: string };
  let unverifiedEmail: string;
  let routes: RouteSpec[];

  beforeAll(async () => {
    t = await createTestInstance(kind, { RATE_LIMIT: "off" });
    user = await t.signedInUser({ name: "Garbage Target" });
    const chat = await user.client.post("/api/v1/chats", { title: "Garbage chat" });
    expect(chat.status).toBe(201);
    const chatId = chat.json.id as string;
    unverifiedEmail = uniqueEmail("unverified");
    const res = await t.client().post("/api/auth/sign-up/email", { name: "Not Yet", email: unverifiedEmail, password: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    // Base bodies are chosen so that an accidentally *valid* variant would write something the
    // snapshot sees (a new user, a session, a reset row, a refresh token, a changed password).
    routes = [
      {
        method: "POST",
        path: "/api/auth/sign-up/email",
        auth: false,
        valid: () => ({ name: "New Reader", email: uniqueEmail("garbage"), password: STRONG_PASSWORD }),
        required: ["name", "email", "password"],
        strings: { name: "name", email: "email", password: "password-new" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/sign-in/email",
        auth: false,
        valid: () => ({ email: user.email, password: "not the right password 7" }),
        required: ["email", "password"],
        strings: { email: "email", password: "password-check" },
        others: { rememberMe: ["yes", 1, {}] },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/request-password-reset",
        auth: false,
        valid: () => ({ email: user.email, redirectTo: "/reset-password" }),
        required: ["email"],
        strings: { email: "email", redirectTo: "token" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/reset-password",
        auth: false,
        valid: () => ({ token: "not-a-real-reset-token", newPassword: "a brand new passphrase 9" }),
        required: ["token", "newPassword"],
        strings: { token: "token", newPassword: "password-new" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/send-verification-email",
        auth: false,
        valid: () => ({ email: unverifiedEmail, callbackURL: "/" }),
        required: ["email"],
        strings: { email: "email" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/change-password",
        auth: true,
        valid: () => ({ currentPassword: user.password, newPassword: "a different passphrase 42", revokeOtherSessions: false }),
        required: ["currentPassword", "newPassword"],
        strings: { currentPassword: "password-check", newPassword: "password-new" },
        others: { revokeOtherSessions: ["yes", 1, {}] },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/change-email",
        auth: true,
        valid: () => ({ newEmail: uniqueEmail("changed"), callbackURL: "/" }),
        required: ["newEmail"],
        strings: { newEmail: "email" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/update-user",
        auth: true,
        valid: () => ({ name: "Renamed Reader" }),
        required: ["name"],
        strings: { name: "name" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/auth/delete-user",
        auth: true,
        // A wrong password: a right one would delete the account (checked in its own test below).
        valid: () => ({ password: "not the right password 7" }),
        required: [],
        strings: { password: "password-check" },
        emptyIsGarbage: false,
      },
      {
        method: "POST",
        path: "/api/v1/auth/token",
        auth: false,
        valid: () => ({ grant_type: "password", email: user.email, password: "not the right password 7" }),
        required: ["grant_type", "email", "password"],
        strings: { grant_type: "enum", email: "token", password: "password-check" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/v1/auth/revoke",
        auth: false,
        // RFC 7009: any string token is a well-formed request (200 even when unknown).
        valid: () => ({ token: "some-opaque-token" }),
        required: ["token"],
        strings: { token: "opaque-token" },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: "/api/v1/chats",
        auth: true,
        valid: () => ({ title: "A new chat" }),
        required: [],
        strings: { title: "text" },
        others: { id: ["someone-elses-chat"], ownerId: ["x"] },
        emptyIsGarbage: false,
      },
      {
        method: "PATCH",
        path: `/api/v1/chats/${chatId}`,
        auth: true,
        valid: () => ({ title: "Renamed chat" }),
        required: ["title"],
        strings: { title: "text" },
        others: { ownerId: ["x"] },
        emptyIsGarbage: true,
      },
      {
        method: "POST",
        path: `/api/v1/chats/${chatId}/messages`,
        auth: true,
        valid: () => ({ content: "What is physical AI?" }),
        required: ["content"],
        strings: { content: "text" },
        others: { role: ["assistant"] },
        emptyIsGarbage: true,
      },
      {
        method: "PATCH",
        path: "/api/v1/me/preferences",
        auth: true,
        valid: () => ({ theme: "dark" }),
        required: [],
        strings: { theme: "enum", language: "enum" },
        others: { notifications: ["on", 1, [], { security: false }, { product: "yes" }, { extra: true }], role: ["admin"] },
        emptyIsGarbage: false,
      },
    ];
  });

  afterAll(async () => {
    await t?.close();
  });

  const clientFor = (route: RouteSpec) => (route.auth ? user.client : t.client());

  async function send(route: RouteSpec, raw: string, contentType?: string) {
    return clientFor(route).request(route.method, route.path, undefined, {
      raw,
      headers: { "content-type": contentType ?? "application/json" },
    });
  }

  /** Every garbage variant of a route: [label, raw body, content-type?, exact status?]. */
  function garbageFor(route: RouteSpec): Array<{ label: string; raw: string; contentType?: string; status?: number }> {
    const valid = route.valid();
    const out: Array<{ label: string; raw: string; contentType?: string; status?: number }> = [];
    const withField = (label: string, field: string, value: unknown) => out.push({ label, raw: JSON.stringify({ ...valid, [field]: value }) });

    out.push({ label: "malformed JSON", raw: '{"a":' });
    out.push({ label: "truncated body", raw: JSON.stringify(valid).slice(0, -1) });
    out.push({ label: "JSON array", raw: JSON.stringify([valid]) });
    out.push({ label: "JSON string", raw: '"hello"' });
    out.push({ label: "JSON null", raw: "null" });
    out.push({ label: "JSON number", raw: "42" });
    out.push({ label: "JSON boolean", raw: "true" });
    if (route.emptyIsGarbage) out.push({ label: "empty object", raw: "{}" });
    for (const field of route.required) {
      const { [field]: _dropped, ...rest } = valid;
      out.push({ label: `missing ${field}`, raw: JSON.stringify(rest) });
    }
    for (const [field, fieldKind] of Object.entries(route.strings)) {
      for (const wrong of WRONG_TYPES) withField(`${field} = ${JSON.stringify(wrong)}`, field, wrong);
      for (const [name, odd] of Object.entries(ODD)) {
        // A bare RTL override or a few joiners inside a long token or new password would be a
        // legitimate (if odd) value; the bare forms are too short or malformed everywhere.
        for (const value of embeddedOdd(fieldKind, odd)) {
          if (fieldKind === "opaque-token" && (name === "zero-width joiners" || name === "RTL override")) continue;
          withField(`${field} with ${name}${value === odd ? "" : " (embedded)"}`, field, value);
        }
      }
      if (fieldKind !== "name" && fieldKind !== "password-new" && fieldKind !== "opaque-token" && fieldKind !== "text") {
        for (const sqli of SQL_INJECTION) withField(`${field} = SQL ${sqli}`, field, sqli);
      }
      for (const nosql of NOSQL_INJECTION) withField(`${field} = NoSQL ${JSON.stringify(nosql)}`, field, nosql);
    }
    for (const [field, values] of Object.entries(route.others ?? {})) {
      for (const wrong of values) withField(`${field} = ${JSON.stringify(wrong)}`, field, wrong);
    }
    out.push({ label: "valid JSON sent as text/plain", raw: JSON.stringify(valid), contentType: "text/plain" });
    out.push({ label: "valid JSON sent as text/plain;charset=UTF-8", raw: JSON.stringify(valid), contentType: "text/plain;charset=UTF-8" });
    if (route.path.startsWith("/api/auth/")) {
      // Regression: Better Auth reads form bodies too, and a form sign-in skipped our per-account throttle.
      const form = new URLSearchParams(Object.entries(valid).map(([k, v]) => [k, String(v)])).toString();
      out.push({ label: "form-encoded body", raw: form, contentType: "application/x-www-form-urlencoded" });
    }
    const first = Object.keys(route.strings)[0]!;
    out.push({ label: "body over 64 KB", raw: JSON.stringify({ ...valid, [first]: "x".repeat(MAX_BODY_BYTES + 1024) }), status: 413 });
    const deep = "[".repeat(5000) + "]".repeat(5000);
    out.push({ label: "deeply nested body", raw: JSON.stringify({ ...valid, [first]: "DEEP" }).replace('"DEEP"', deep) });
    return out;
  }

  it("refuses every garbage body on every route with a 4xx { code, message } and writes nothing", async () => {
    let sent = 0;
    for (const route of routes) {
      const before = await snapshot(t);
      for (const g of garbageFor(route)) {
        const res = await send(route, g.raw, g.contentType);
        const label = `${route.method} ${route.path} [${g.label}]`;
        expectRefused(res, label);
        if (g.status) {
          expect(res.status, label).toBe(g.status);
          expect(res.json.code, label).toBe("PAYLOAD_TOO_LARGE");
        }
        sent++;
      }
      await expectNothingWritten(t, before);
    }
    expect(sent).toBeGreaterThan(500);
    expectPrototypeClean();
    // The target still works: nothing above changed its password or session.
    expect((await user.client.get("/api/v1/me")).status).toBe(200);
  });

  it("takes JSON by the media types each kind of caller always could, and refuses the rest", async () => {
    // An account of its own: the garbage tests above count failed sign-ins against the shared one.
    const user = await t.signedInUser({ name: "Media Types" });
    const c = t.client();
    const grant = await c.post("/api/v1/auth/token", { grant_type: "password", email: user.email, password: user.password });
    expect(grant.status).toBe(200);
    const bearer = { authorization: `Bearer ${grant.json.access_token}` };
    let refresh = grant.json.refresh_token as string;
    const results: Record<string, number> = {};
    for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/vnd.api+json", "application/merge-patch+json", "text/json", "text/plain"]) {
      // Bearer clients of our API: JSON and the structured +json types (RFC 6839).
      const chat = await c.request("POST", "/api/v1/chats", undefined, { raw: JSON.stringify({ title: "Typed" }), headers: { ...bearer, "content-type": type } });
      results[`chats ${type}`] = chat.status;
      // The token endpoint: any type that names JSON, as since its first release.
      const refreshed = await c.request("POST", "/api/v1/auth/token", undefined, {
        raw: JSON.stringify({ grant_type: "refresh_token", refresh_token: refresh }),
        headers: { "content-type": type },
      });
      results[`token ${type}`] = refreshed.status;
      if (refreshed.status === 200) refresh = refreshed.json.refresh_token;
      // In front of Better Auth: exactly application/json (the type it parses), else 415.
      const signIn = await t.client().request("POST", "/api/auth/sign-in/email", undefined, {
        raw: JSON.stringify({ email: user.email, password: "not the password" }),
        headers: { "content-type": type },
      });
      results[`sign-in ${type}`] = signIn.status;
    }
    expect(results).toEqual({
      "chats application/json": 201,
      "token application/json": 200,
      "sign-in application/json": 401,
      "chats Application/JSON; charset=utf-8": 201,
      "token Application/JSON; charset=utf-8": 200,
      "sign-in Application/JSON; charset=utf-8": 401,
      "chats application/vnd.api+json": 201,
      "token application/vnd.api+json": 200,
      "sign-in application/vnd.api+json": 415,
      "chats application/merge-patch+json": 201,
      "token application/merge-patch+json": 200,
      "sign-in application/merge-patch+json": 415,
      "chats text/json": 415,
      "token text/json": 200,
      "sign-in text/json": 415,
      "chats text/plain": 415,
      "token text/plain": 400,
      "sign-in text/plain": 415,
    });
  });

  it("refuses a bad security-events query with 400 instead of guessing", async () => {
    // Regression: an invalid limit/before was silently replaced by the defaults (200).
    for (const q of ["limit=abc", "limit=0", "limit=101", "limit=-1", "limit=1.5", "limit=1e9", "before=abc", "before=-5", "limit=%00"]) {
      const res = await user.client.get(`/api/v1/me/security-events?${q}`);
      expectRefused(res, `security-events?${q}`);
      expect(res.status).toBe(400);
    }
    expect((await user.client.get("/api/v1/me/security-events?limit=5")).status).toBe(200);
  });

  it("refuses NUL in query strings and path tokens without a 500", async () => {
    // Regression: NUL in a token reached Better Auth's verification lookup (500 on PostgreSQL).
    const before = await snapshot(t);
    for (const url of ["/api/auth/delete-user/callback?token=%00", "/api/auth/verify-email?token=a%00b", "/api/auth/reset-password/%00?callbackURL=/x"]) {
      const res = await user.client.get(url);
      expect(res.status, `${url} → ${res.status} ${res.text}`).toBeLessThan(500);
      if (res.status >= 400) expectRefused(res, url);
    }
    await expectNothingWritten(t, before);
  });

  it("answers unknown routes with 404 { code: NOT_FOUND } under /api/v1 and /api/auth", async () => {
    for (const [method, url, signedIn] of [
      ["GET", "/api/v1/nope", false],
      ["POST", "/api/v1/nope", false],
      ["GET", "/api/v1/auth/nope", false],
      ["DELETE", "/api/v1/me/nope", true],
      ["GET", "/api/auth/nope", false],
      ["POST", "/api/auth/nope", false],
      ["GET", "/api/auth/sign-in/nope", false],
      ["GET", "/api/auth/nope", true],
    ] as const) {
      const c = signedIn ? user.client : t.client();
      const res = await c.request(method, url, method === "GET" ? undefined : {});
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.json).toMatchObject({ code: "NOT_FOUND" });
      expect(typeof res.json.message).toBe("string");
    }
  });

  it("keeps `__proto__` and `constructor` in valid bodies harmless (ASVS 15.3.6)", async () => {
    const target = await t.signedInUser({ name: "Proto Target" });
    const poison = '{"__proto__":{"role":"admin"},"constructor":{"prototype":{"x":1}},';
    const mixed = (body: Record<string, unknown>) => poison + JSON.stringify(body).slice(1);
    const newEmail = uniqueEmail("proto");
    const cases: Array<{ c: TestClient; method: "POST" | "PATCH"; path: string; body: Record<string, unknown> }> = [
      { c: t.client(), method: "POST", path: "/api/auth/sign-up/email", body: { name: "Proto Reader", email: newEmail, password: STRONG_PASSWORD } },
      { c: t.client(), method: "POST", path: "/api/auth/sign-in/email", body: { email: target.email, password: target.password } },
      { c: t.client(), method: "POST", path: "/api/auth/request-password-reset", body: { email: target.email } },
      { c: t.client(), method: "POST", path: "/api/auth/reset-password", body: { token: "nope", newPassword: "a brand new passphrase 9" } },
      { c: t.client(), method: "POST", path: "/api/auth/send-verification-email", body: { email: newEmail } },
      { c: target.client, method: "POST", path: "/api/auth/update-user", body: { name: "Proto Renamed" } },
      { c: target.client, method: "POST", path: "/api/auth/change-email", body: { newEmail: uniqueEmail("proto-new") } },
      { c: t.client(), method: "POST", path: "/api/v1/auth/token", body: { grant_type: "password", email: target.email, password: target.password } },
      { c: t.client(), method: "POST", path: "/api/v1/auth/revoke", body: { token: "whatever" } },
      { c: target.client, method: "PATCH", path: "/api/v1/me/preferences", body: { theme: "dark" } },
      {
        c: target.client,
        method: "POST",
        path: "/api/auth/change-password",
        body: { currentPassword: target.password, newPassword: "another fine passphrase 5" },
      },
    ];
    for (const k of cases) {
      const res = await k.c.request(k.method, k.path, undefined, { raw: mixed(k.body), headers: { "content-type": "application/json" } });
      expectNoServerError(res, `${k.method} ${k.path} with __proto__`);
      expectPrototypeClean();
    }
    const rows = await t.services.db.kysely
      .selectFrom("user")
      .select(["email", "role"])
      .where("email", "in", [target.email, newEmail])
      .execute();
    for (const r of rows) expect(r.role, r.email).toBe("user");
    const me = await target.client.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.json.role).toBe("user");
    expect(me.json.x).toBeUndefined();

    // Last, with the right password: the account really goes, and nothing leaks into prototypes.
    const del = await target.client.request("POST", "/api/auth/delete-user", undefined, {
      raw: mixed({ password: "another fine passphrase 5" }),
      headers: { "content-type": "application/json" },
    });
    expectNoServerError(del, "delete-user with __proto__");
    expectPrototypeClean();
  });

  it("never lets a user set role, emailVerified or banned on themselves (ASVS 8.2.3, 15.3.3)", async () => {
    const u = await t.signedInUser({ name: "Mass Assigner" });
    const db = t.services.db.kysely;
    const row = () => db.selectFrom("user").select(["name", "role", "emailVerified", "banned", "email"]).where("id", "=", u.userId).executeTakeFirstOrThrow();

    for (const body of [{ role: "admin" }, { name: "Sneaky", role: "admin" }, { name: "Sneaky", banned: true, banReason: "x" }, { id: "someone-else", name: "Sneaky" }]) {
      const res = await u.client.post("/api/auth/update-user", body);
      expectNoServerError(res, `update-user ${JSON.stringify(body)}`);
      const r = await row();
      expect(r.role).toBe("user");
      expect(Boolean(r.banned)).toBe(false);
    }

    // emailVerified: set false behind the scenes, then try to set it back through the API.
    await db.updateTable("user").set({ emailVerified: kind === "postgres" ? false : 0 }).where("id", "=", u.userId).execute();
    for (const body of [{ emailVerified: true }, { name: "Verified Me", emailVerified: true }]) {
      const res = await u.client.post("/api/auth/update-user", body);
      expectNoServerError(res, `update-user ${JSON.stringify(body)}`);
      expect(Boolean((await row()).emailVerified)).toBe(false);
    }
    await db.updateTable("user").set({ emailVerified: kind === "postgres" ? true : 1 }).where("id", "=", u.userId).execute();

    // banned: a banned user (session still held) cannot unban themselves.
    await db.updateTable("user").set({ banned: kind === "postgres" ? true : 1 }).where("id", "=", u.userId).execute();
    for (const body of [{ banned: false }, { name: "Free Me", banned: false, banReason: null, banExpires: null }]) {
      const res = await u.client.post("/api/auth/update-user", body);
      expectNoServerError(res, `update-user ${JSON.stringify(body)}`);
      expect(Boolean((await row()).banned)).toBe(true);
    }
    await db.updateTable("user").set({ banned: kind === "postgres" ? false : 0 }).where("id", "=", u.userId).execute();

    // Sign-up cannot choose them either.
    const email = uniqueEmail("massassign");
    const signUp = await t.client().post("/api/auth/sign-up/email", {
      name: "Mass Signup",
      email,
      password: STRONG_PASSWORD,
      role: "admin",
      emailVerified: true,
      banned: false,
    });
    expectNoServerError(signUp, "sign-up with role/emailVerified/banned");
    const created = await db.selectFrom("user").select(["role", "emailVerified"]).where("email", "=", email).executeTakeFirst();
    if (created) {
      expect(created.role).toBe("user");
      expect(Boolean(created.emailVerified)).toBe(false);
    }

    // Preferences refuse unknown keys outright.
    const prefs = await u.client.patch("/api/v1/me/preferences", { theme: "dark", role: "admin" });
    expect(prefs.status).toBe(400);
    expect((await row()).role).toBe("user");
    expectPrototypeClean();
  });

  it("stores an SQL-looking name verbatim (parameterised queries) and changes nothing else", async () => {
    const u = await t.signedInUser({ name: "Bobby" });
    const db = t.services.db.kysely;
    const users = Number((await db.selectFrom("user").select((e) => e.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
    const name = `Robert'); DROP TABLE "user"; -- ' OR 1=1 --`;
    const res = await u.client.post("/api/auth/update-user", { name });
    expect(res.status).toBe(200);
    const row = await db.selectFrom("user").select("name").where("id", "=", u.userId).executeTakeFirstOrThrow();
    expect(row.name).toBe(name);
    expect(Number((await db.selectFrom("user").select((e) => e.fn.countAll().as("n")).executeTakeFirstOrThrow()).n)).toBe(users);
    expect((await db.selectFrom("user").select("name").where("id", "=", user.userId).executeTakeFirstOrThrow()).name).toBe("Garbage Target");
  });

  it("accepts legitimate unusual names: emoji ZWJ sequences, accents, scripts", async () => {
    const u = await t.signedInUser({ name: "Plain" });
    for (const name of ["👨\u200d👩\u200d👧 Family", "Zoë Saldaña", "محمد", "李小龍", "O'Brien-Smith"]) {
      const res = await u.client.post("/api/auth/update-user", { name });
      expect(res.status, `${name}: ${res.text}`).toBe(200);
    }
  });

  describe("property: arbitrary JSON never produces a 5xx", () => {
    let fuzzUser: { client: TestClient; email: string; password: string; userId: string };
    beforeAll(async () => {
      fuzzUser = await t.signedInUser({ name: "Fuzz Target" });
    });

    it.each([
      ["POST", "/api/auth/sign-up/email", ["name", "email", "password", "callbackURL", "image"]],
      ["POST", "/api/auth/sign-in/email", ["email", "password", "rememberMe", "callbackURL"]],
      ["POST", "/api/auth/request-password-reset", ["email", "redirectTo"]],
      ["POST", "/api/auth/reset-password", ["token", "newPassword"]],
      ["POST", "/api/auth/send-verification-email", ["email", "callbackURL"]],
      ["POST", "/api/auth/change-password", ["currentPassword", "newPassword", "revokeOtherSessions"]],
      ["POST", "/api/auth/change-email", ["newEmail", "callbackURL"]],
      ["POST", "/api/auth/update-user", ["name", "image"]],
      ["POST", "/api/auth/delete-user", ["password", "token", "callbackURL"]],
      ["POST", "/api/v1/auth/token", ["grant_type", "email", "password", "refresh_token"]],
      ["POST", "/api/v1/auth/revoke", ["token", "token_type_hint"]],
      ["PATCH", "/api/v1/me/preferences", ["theme", "language", "notifications"]],
    ] as const)("%s %s", async (method, path, keys) => {
      const needsUser = ["/change-password", "/change-email", "/update-user", "/delete-user", "/me/preferences"].some((p) => path.endsWith(p));
      const value = fc.oneof(
        fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }),
        fc.dictionary(fc.constantFrom(...keys, "__proto__", "constructor"), fc.jsonValue({ stringUnit: "binary", maxDepth: 2 }), {
          maxKeys: keys.length + 1,
        }),
        fc.record(Object.fromEntries(keys.map((k) => [k, fc.oneof(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 1 }))])), {
          requiredKeys: [],
        }),
      );
      await fc.assert(
        fc.asyncProperty(value, async (v) => {
          const c = needsUser ? fuzzUser.client : t.client();
          const res = await c.request(method, path, undefined, { raw: JSON.stringify(v), headers: { "content-type": "application/json" } });
          expectNoServerError(res, `${method} ${path} ${JSON.stringify(v).slice(0, 200)}`);
        }),
        { numRuns: 50 },
      );
      expectPrototypeClean();
    });
  });
});
