/**
 * Abuse controls, end to end: per-IP limits keyed on the real client IP (ASVS 6.3.1, 15.3.4),
 * per-account throttling with rising waits that never reveals whether an account exists
 * (6.3.1, 6.3.8), identical answers for known and unknown accounts (6.3.8), RATE_LIMIT=off.
 * Runs on SQLite and PostgreSQL (counters in SQL), and once more with the counters in a real
 * redis-server.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { accountThrottleKey } from "../../src/server/rate-limit/account-throttle.ts";
import { startRedisServer, type RedisTestServer } from "../support/redis.ts";
import {
  createTestInstance,
  DB_KINDS,
  nextIp,
  STRONG_PASSWORD,
  uniqueEmail,
  type DbKind,
  type RequestOptions,
  type TestClient,
  type TestInstance,
  type TestResponse,
} from "../support/instance.ts";

const SIGN_IN = "/api/auth/sign-in/email";
const SIGN_UP = "/api/auth/sign-up/email";
const RESET = "/api/auth/request-password-reset";
const VERIFY = "/api/auth/send-verification-email";
const TOKEN = "/api/v1/auth/token";

const signIn = (c: TestClient, email: string, password: string, opts?: RequestOptions) => c.post(SIGN_IN, { email, password }, opts);
const tokenGrant = (c: TestClient, email: string, password: string, opts?: RequestOptions) =>
  c.post(TOKEN, { grant_type: "password", email, password }, opts);
const wrong = (i: number) => `not the password ${i} at all`;
/**
 * A sign-in that still counts against the per-IP limit but that Better Auth refuses (400,
 * malformed email) before any password hashing: keeps the IP-keying tests cheap. The first
 * attempts of each such test are real wrong-password sign-ins (401, audited with the IP).
 */
const attempt = (c: TestClient, i: number, opts?: RequestOptions) =>
  i < 2 ? signIn(c, uniqueEmail(`ip${i}`), wrong(i), opts) : c.post(SIGN_IN, { email: `not-an-email-${i}`, password: "x" }, opts);
const attemptStatus = (i: number) => (i < 2 ? 401 : 400);

/** A 429 with an integer Retry-After (1..maxSeconds) and our { code, message } body. */
function expectTooMany(res: TestResponse, code: string, maxSeconds: number): number {
  const where = `${res.status} ${res.text.slice(0, 200)}`;
  expect(res.status, where).toBe(429);
  const header = res.headers.get("retry-after");
  expect(header, where).toMatch(/^\d+$/);
  const seconds = Number(header);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  expect(res.json?.code, where).toBe(code);
  expect(typeof res.json?.message, where).toBe("string");
  return seconds;
}

/** The shape of a JSON value: keys and value types, recursively (ids and dates differ, shapes must not). */
function shape(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shape(v)]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  }
  return typeof value;
}

/** Per-IP limits: `attempt(c, i)` from one client; the limit+1st is 429, another IP is unaffected. */
async function expectPerIpLimit(
  t: TestInstance,
  opts: {
    limit: number;
    windowSeconds: number;
    attempt: (c: TestClient, i: number) => Promise<TestResponse>;
    okStatus: number;
    /** Send the allowed attempts at once (Better Auth holds each unauthenticated verification-mail answer 500 ms). */
    parallel?: boolean;
  },
) {
  const c = t.client();
  const indexes = Array.from({ length: opts.limit }, (_, i) => i);
  const allowed = opts.parallel
    ? await Promise.all(indexes.map((i) => opts.attempt(c, i)))
    : await indexes.reduce<Promise<TestResponse[]>>(async (acc, i) => [...(await acc), await opts.attempt(c, i)], Promise.resolve([]));
  allowed.forEach((res, i) => expect(res.status, `attempt ${i + 1}: ${res.text.slice(0, 200)}`).toBe(opts.okStatus));
  expectTooMany(await opts.attempt(c, opts.limit), "RATE_LIMITED", opts.windowSeconds);
  // Denied requests keep being denied, each with its Retry-After.
  expectTooMany(await opts.attempt(c, opts.limit + 1), "RATE_LIMITED", opts.windowSeconds);
  expect((await opts.attempt(t.client(), opts.limit + 2)).status).toBe(opts.okStatus);
}

/** The per-IP cases, shared by the SQL and Redis counter stores. */
function perIpCases(get: () => TestInstance) {
  it("limits sign-in to 30 per 5 minutes per IP; the 31st is 429 with Retry-After (ASVS 6.3.1)", async () => {
    // Every attempt names another (unknown) email, so the per-account throttle is not what answers.
    await expectPerIpLimit(get(), { limit: 30, windowSeconds: 300, okStatus: 401, attempt: (c, i) => signIn(c, uniqueEmail(`ipsignin${i}`), wrong(i)) });
  });

  it("limits sign-up to 30 per 5 minutes per IP", async () => {
    await expectPerIpLimit(get(), {
      limit: 30,
      windowSeconds: 300,
      okStatus: 200,
      attempt: (c, i) => c.post(SIGN_UP, { name: `Bulk ${i}`, email: uniqueEmail(`bulk${i}`), password: STRONG_PASSWORD }),
    });
  });

  it("limits the token password grant to 30 per 5 minutes per IP", async () => {
    await expectPerIpLimit(get(), { limit: 30, windowSeconds: 300, okStatus: 400, attempt: (c, i) => tokenGrant(c, uniqueEmail(`iptoken${i}`), wrong(i)) });
  });

  it("limits reset and verification mails together to 10 per 15 minutes per IP", async () => {
    // Alternating the two routes: they share one budget.
    await expectPerIpLimit(get(), {
      limit: 10,
      windowSeconds: 900,
      okStatus: 200,
      parallel: true,
      attempt: (c, i) => c.post(i % 2 ? VERIFY : RESET, { email: uniqueEmail(`mail${i}`) }),
    });
    await expectPerIpLimit(get(), { limit: 10, windowSeconds: 900, okStatus: 200, attempt: (c, i) => c.post(RESET, { email: uniqueEmail(`reset${i}`) }) });
  });
}

/** The per-account cases that need no clock, shared by the SQL and Redis counter stores. */
function perAccountCases(get: () => TestInstance) {
  it("locks an account after 10 failures from 10 different IPs, even for the right password (TOO_MANY_ATTEMPTS)", async () => {
    const t = get();
    const u = await t.signedInUser();
    for (let i = 0; i < 10; i++) expect((await signIn(t.client(), u.email, wrong(i))).status).toBe(401);
    const locked = await signIn(t.client(), u.email, u.password);
    expect(expectTooMany(locked, "TOO_MANY_ATTEMPTS", 60)).toBeGreaterThanOrEqual(55);
    expect(locked.headers.getSetCookie()).toEqual([]);
    // Case and spacing do not make it another account.
    expectTooMany(await signIn(t.client(), `  ${u.email.toUpperCase()} `, u.password), "TOO_MANY_ATTEMPTS", 60);
    // The token endpoint honours the same lock.
    const viaToken = await tokenGrant(t.client(), u.email, u.password);
    expectTooMany(viaToken, "TOO_MANY_ATTEMPTS", 60);
    expect(viaToken.json.access_token).toBeUndefined();
  });

  it("counts failures on sign-in and on the token grant together", async () => {
    const t = get();
    const u = await t.signedInUser();
    for (let i = 0; i < 5; i++) expect((await signIn(t.client(), u.email, wrong(i))).status).toBe(401);
    for (let i = 5; i < 10; i++) expect((await tokenGrant(t.client(), u.email, wrong(i))).json.code).toBe("INVALID_EMAIL_OR_PASSWORD");
    expectTooMany(await signIn(t.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60);
    const viaToken = await tokenGrant(t.client(), u.email, u.password);
    expectTooMany(viaToken, "TOO_MANY_ATTEMPTS", 60);
    expect(viaToken.json.error).toBe("too_many_attempts");
  });

  it("treats an unknown email exactly like a known one: 429 after 10 failures, same answers (ASVS 6.3.8)", async () => {
    const t = get();
    const known = await t.signedInUser();
    const unknown = uniqueEmail("nobody");
    for (let i = 0; i < 10; i++) {
      const a = await signIn(t.client(), known.email, wrong(i));
      const b = await signIn(t.client(), unknown, wrong(i));
      expect(b.status).toBe(a.status);
      expect(b.json).toEqual(a.json);
    }
    const a = await signIn(t.client(), known.email, known.password);
    const b = await signIn(t.client(), unknown, known.password);
    const ra = expectTooMany(a, "TOO_MANY_ATTEMPTS", 60);
    const rb = expectTooMany(b, "TOO_MANY_ATTEMPTS", 60);
    expect(Math.abs(ra - rb)).toBeLessThanOrEqual(1);
    const strip = (j: Record<string, unknown>) => ({ ...j, retryAfter: undefined });
    expect(strip(b.json)).toEqual(strip(a.json));
  });

  it("leaves other accounts alone while one is locked", async () => {
    const t = get();
    const victim = await t.signedInUser();
    const bystander = await t.signedInUser();
    const attacker = Array.from({ length: 11 }, () => t.client());
    for (let i = 0; i < 10; i++) await signIn(attacker[i]!, victim.email, wrong(i));
    expectTooMany(await signIn(attacker[10]!, victim.email, victim.password), "TOO_MANY_ATTEMPTS", 60);
    // Same IPs as the attack, another account: fine.
    expect((await signIn(attacker[0]!, bystander.email, bystander.password)).status).toBe(200);
    expect((await tokenGrant(attacker[1]!, bystander.email, bystander.password)).status).toBe(200);
  });
}

describe.each(DB_KINDS)("abuse controls on %s", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("per-IP limits", () => perIpCases(() => t));
  describe("per-account throttling", () => perAccountCases(() => t));

  describe("spoofed client IPs (ASVS 15.3.4)", () => {
    it("ignores X-Forwarded-For without TRUSTED_PROXIES: rotating it does not reset the limit", async () => {
      const c = t.client();
      for (let i = 0; i < 30; i++) {
        const res = await attempt(c, i, { headers: { "x-forwarded-for": `203.0.113.${i + 1}` } });
        expect(res.status).toBe(attemptStatus(i));
      }
      expectTooMany(await signIn(c, uniqueEmail("xff"), wrong(99), { headers: { "x-forwarded-for": "203.0.113.200" } }), "RATE_LIMITED", 300);
      // The audit trail records the socket address, not the claimed one.
      const ips = await t.services.db.kysely.selectFrom("security_event").select("ip").where("ip", "like", "203.0.113.%").execute();
      expect(ips).toEqual([]);
      const mine = await t.services.db.kysely.selectFrom("security_event").select("ip").where("ip", "=", c.ip).execute();
      expect(mine.length).toBeGreaterThanOrEqual(2);
    });

    it("ignores a client-sent x-aibook-client-ip (and other client-IP headers)", async () => {
      const c = t.client();
      for (let i = 0; i < 30; i++) {
        const spoof = `192.0.2.${i + 1}`;
        const res = await attempt(c, i, {
          headers: { "x-aibook-client-ip": spoof, "x-real-ip": spoof, forwarded: `for=${spoof}`, "cf-connecting-ip": spoof, "true-client-ip": spoof },
        });
        expect(res.status).toBe(attemptStatus(i));
      }
      const last = await attempt(c, 99, { headers: { "x-aibook-client-ip": "192.0.2.200" } });
      expectTooMany(last, "RATE_LIMITED", 300);
      const events = await t.services.db.kysely.selectFrom("security_event").select("ip").where("type", "=", "sign_in_failed").where("ip", "like", "192.0.2.%").execute();
      expect(events).toEqual([]);
    });

    it("honours X-Forwarded-For from a trusted proxy: each forwarded client has its own bucket", async () => {
      const proxy = "192.0.2.10";
      const behind = await createTestInstance(kind, { TRUSTED_PROXIES: proxy });
      try {
        const viaProxy = behind.client(proxy);
        const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });
        for (let i = 0; i < 30; i++) expect((await attempt(viaProxy, i, from("198.18.0.1"))).status).toBe(attemptStatus(i));
        expectTooMany(await attempt(viaProxy, 30, from("198.18.0.1")), "RATE_LIMITED", 300);
        // Another client behind the same proxy: its own bucket.
        expect((await signIn(viaProxy, uniqueEmail("p"), wrong(2), from("198.18.0.2"))).status).toBe(401);
        // Prepending made-up hops does not help: the proxy's right-most untrusted hop is the client.
        expectTooMany(await attempt(viaProxy, 31, from("6.6.6.6, 198.18.0.1")), "RATE_LIMITED", 300);
        // An untrusted socket's X-Forwarded-For is still ignored.
        const direct = behind.client();
        expect((await signIn(direct, uniqueEmail("p"), wrong(4), from("198.18.0.99"))).status).toBe(401);
        const rows = await behind.services.db.kysely.selectFrom("security_event").select("ip").where("type", "=", "sign_in_failed").execute();
        const ips = new Set(rows.map((r) => r.ip));
        expect(ips.has("198.18.0.1")).toBe(true);
        expect(ips.has("198.18.0.2")).toBe(true);
        expect(ips.has(direct.ip)).toBe(true);
        expect(ips.has("198.18.0.99")).toBe(false);
        expect(ips.has("6.6.6.6")).toBe(false);
        expect(ips.has(proxy)).toBe(false);
      } finally {
        await behind.close();
      }
    });
  });

  it("does not let the content type dodge the account throttle", async () => {
    // Regression: "Application/JSON" and form-encoded sign-ins reached Better Auth without our
    // JSON reading finding the email, so their failures were never counted.
    const u = await t.signedInUser();
    for (let i = 0; i < 10; i++) {
      const res = await t.client().request("POST", SIGN_IN, undefined, {
        raw: JSON.stringify({ email: u.email, password: wrong(i) }),
        headers: { "content-type": i % 2 ? "Application/JSON" : "application/json; charset=UTF-8" },
      });
      expect(res.status).toBe(401);
    }
    const form = await t.client().request("POST", SIGN_IN, undefined, {
      raw: new URLSearchParams({ email: u.email, password: u.password }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(415);
    expectTooMany(await signIn(t.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60);
  });

  describe("no account enumeration (ASVS 6.3.8)", () => {
    it("sign-up: a taken email gets the same status and body shape as a new one", async () => {
      const taken = await t.signedInUser({ name: "Taken Reader" });
      const fresh = uniqueEmail("fresh");
      const a = await t.client().post(SIGN_UP, { name: "Taken Reader", email: taken.email, password: STRONG_PASSWORD });
      const b = await t.client().post(SIGN_UP, { name: "Taken Reader", email: fresh, password: STRONG_PASSWORD });
      expect(a.status).toBe(200);
      expect(b.status).toBe(a.status);
      expect(shape(a.json)).toEqual(shape(b.json));
      // Same keys in the same order, same values apart from the id, the email and the times.
      expect(Object.keys(a.json.user)).toEqual(Object.keys(b.json.user));
      const strip = (u: Record<string, unknown>) => ({ ...u, id: undefined, email: undefined, createdAt: undefined, updatedAt: undefined });
      expect(strip(a.json.user)).toEqual(strip(b.json.user));
      expect(a.json.user.email).toBe(taken.email);
      expect(b.json.user.email).toBe(fresh);
      expect(a.json.user.emailVerified).toBe(b.json.user.emailVerified);
      // The same cookies: the link-binding cookie's value is an HMAC of the address typed, so it
      // differs between two addresses whether or not either is taken; its name and attributes don't.
      const withoutValues = (res: typeof a) => res.headers.getSetCookie().map((l) => l.replace(/=[^;]*/, "=…"));
      expect(withoutValues(a)).toEqual(withoutValues(b));
      expect(withoutValues(a)).toEqual([expect.stringMatching(/^aibook\.link_binding=…; /)]);
      // Same for an address that signed up but never verified.
      const pending = uniqueEmail("pending");
      expect((await t.client().post(SIGN_UP, { name: "P", email: pending, password: STRONG_PASSWORD })).status).toBe(200);
      const c = await t.client().post(SIGN_UP, { name: "P", email: pending, password: STRONG_PASSWORD });
      expect(c.status).toBe(200);
      expect(shape(c.json)).toEqual(shape(b.json));
    });

    it("sign-in: unknown email and wrong password answer identically", async () => {
      const u = await t.signedInUser();
      const a = await signIn(t.client(), uniqueEmail("ghost"), "some password 123");
      const b = await signIn(t.client(), u.email, "some password 123");
      expect(a.status).toBe(401);
      expect(b.status).toBe(a.status);
      expect(b.json).toEqual(a.json);
      expect(a.headers.getSetCookie()).toEqual([]);
      expect(b.headers.getSetCookie()).toEqual([]);
      // A short password is not checked against the policy on sign-in (that would tell unknown emails apart).
      const c = await signIn(t.client(), uniqueEmail("ghost"), "short");
      const d = await signIn(t.client(), u.email, "short");
      expect(d.status).toBe(c.status);
      expect(d.json).toEqual(c.json);
    });

    it("password reset request: existing and unknown emails answer identically", async () => {
      const u = await t.signedInUser();
      const a = await t.client().post(RESET, { email: u.email, redirectTo: "/reset-password" });
      const b = await t.client().post(RESET, { email: uniqueEmail("ghost"), redirectTo: "/reset-password" });
      expect(a.status).toBe(200);
      expect(b.status).toBe(a.status);
      expect(b.json).toEqual(a.json);
      expect(b.text).toBe(a.text);
    });

    it("token grant: unknown email and wrong password answer identically", async () => {
      const u = await t.signedInUser();
      const a = await tokenGrant(t.client(), uniqueEmail("ghost"), "some password 123");
      const b = await tokenGrant(t.client(), u.email, "some password 123");
      expect(a.status).toBe(400);
      expect(b.status).toBe(a.status);
      expect(b.json).toEqual(a.json);
      expect(b.text).toBe(a.text);
    });
  });

  it("RATE_LIMIT=off disables the per-IP limits", async () => {
    const open = await createTestInstance(kind, { RATE_LIMIT: "off" });
    try {
      const c = open.client();
      for (let i = 0; i < 31; i++) expect((await attempt(c, i)).status).toBe(attemptStatus(i));
      for (let i = 0; i < 31; i++) expect((await tokenGrant(c, uniqueEmail(`offt${i}`), wrong(i))).status).toBe(400);
      const mails = await Promise.all(Array.from({ length: 12 }, (_, i) => c.post(i % 2 ? VERIFY : RESET, { email: uniqueEmail(`offm${i}`) })));
      expect(mails.map((r) => r.status)).toEqual(Array(12).fill(200));
      // Sign-ups with a malformed email: counted by the limiter, refused by Better Auth before hashing.
      for (let i = 0; i < 31; i++) expect((await c.post(SIGN_UP, { name: `Off ${i}`, email: `off-${i}`, password: STRONG_PASSWORD })).status).toBe(400);
      const counters = await open.services.db.kysely.selectFrom("rate_limit_counter").select("key").where("key", "like", "ip:%").execute();
      expect(counters).toEqual([]);
    } finally {
      await open.close();
    }
  });

  describe("waits, with a fake clock (Date only)", () => {
    // The counter store and throttle take their clock when the services are built, so this
    // instance is built with Date already faked; time keeps flowing, and jumps on demand.
    let clocked: TestInstance;
    const jump = (ms: number) => vi.setSystemTime(Date.now() + ms);
    beforeAll(async () => {
      vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
      clocked = await createTestInstance(kind);
    });
    afterAll(async () => {
      await clocked?.close();
      vi.useRealTimers();
    });

    it("after the wait the right password works again, and success clears the count", async () => {
      const u = await clocked.signedInUser();
      for (let i = 0; i < 10; i++) expect((await signIn(clocked.client(), u.email, wrong(i))).status).toBe(401);
      expectTooMany(await signIn(clocked.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60);
      jump(30_000);
      expectTooMany(await signIn(clocked.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 30);
      jump(31_000);
      const ok = await signIn(clocked.client(), u.email, u.password);
      expect(ok.status).toBe(200);
      expect(ok.json.user.email).toBe(u.email);
      // A clean slate: one more failure is just a failure.
      expect((await signIn(clocked.client(), u.email, wrong(50))).status).toBe(401);
      expect((await signIn(clocked.client(), u.email, u.password)).status).toBe(200);
    });

    it("rising waits: failing again after a lock locks twice as long", async () => {
      const u = await clocked.signedInUser();
      for (let i = 0; i < 10; i++) expect((await signIn(clocked.client(), u.email, wrong(i))).status).toBe(401);
      expect(expectTooMany(await signIn(clocked.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60)).toBeGreaterThan(50);
      jump(61_000);
      // The streak goes on: a single further failure locks again, for 2 minutes this time.
      expect((await signIn(clocked.client(), u.email, wrong(10))).status).toBe(401);
      const second = expectTooMany(await signIn(clocked.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 120);
      expect(second).toBeGreaterThan(110);
      jump(61_000);
      expectTooMany(await tokenGrant(clocked.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60);
      jump(60_000);
      expect((await tokenGrant(clocked.client(), u.email, u.password)).status).toBe(200);
    });

    it("per-IP windows end: after 5 minutes the same IP may sign in again", async () => {
      const c = clocked.client();
      for (let i = 0; i < 30; i++) expect((await attempt(c, i)).status).toBe(attemptStatus(i));
      const retry = expectTooMany(await attempt(c, 30), "RATE_LIMITED", 300);
      jump(retry * 1000 + 1000);
      expect((await signIn(c, uniqueEmail("w"), wrong(2))).status).toBe(401);
    });
  });
});

describe("abuse controls with the counters in Redis", () => {
  let server: RedisTestServer;
  let redis: Redis;
  let t: TestInstance;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    t = await createTestInstance("sqlite", { REDIS_URL: server.url });
  });
  afterAll(async () => {
    await t?.close();
    redis?.disconnect();
    await server?.stop();
  });

  describe("per-IP limits", () => perIpCases(() => t));
  describe("per-account throttling", () => perAccountCases(() => t));

  const lockKey = (email: string) => `aibook:rl:acct:lock:${accountThrottleKey(email)}`;

  it("keeps every counter in Redis, none in SQL", async () => {
    const keys = await redis.keys("aibook:rl:*");
    expect(keys.some((k) => k.startsWith("aibook:rl:ip:sign-in:"))).toBe(true);
    expect(keys.some((k) => k.startsWith("aibook:rl:acct:fail:"))).toBe(true);
    const rows = await t.services.db.kysely.selectFrom("rate_limit_counter").select("key").execute();
    expect(rows).toEqual([]);
  });

  it("after the lock expires the right password works; failing on locks twice as long", async () => {
    const u = await t.signedInUser();
    for (let i = 0; i < 10; i++) expect((await signIn(t.client(), u.email, wrong(i))).status).toBe(401);
    expectTooMany(await signIn(t.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 60);
    const ttl = await redis.pttl(lockKey(u.email));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);

    // Let the 60 s lock run out (Redis keeps its own clock: expire the key instead of waiting).
    await redis.del(lockKey(u.email));
    expect((await signIn(t.client(), u.email, wrong(10))).status).toBe(401);
    const second = expectTooMany(await signIn(t.client(), u.email, u.password), "TOO_MANY_ATTEMPTS", 120);
    expect(second).toBeGreaterThan(110);
    expect(await redis.pttl(lockKey(u.email))).toBeGreaterThan(110_000);

    await redis.del(lockKey(u.email));
    const ok = await signIn(t.client(), u.email, u.password);
    expect(ok.status).toBe(200);
    // Success clears the account's counters.
    expect(await redis.exists(`aibook:rl:acct:fail:${accountThrottleKey(u.email)}`, `aibook:rl:acct:level:${accountThrottleKey(u.email)}`)).toBe(0);
  });

  it("still ignores spoofed X-Forwarded-For", async () => {
    const c = t.client(nextIp());
    for (let i = 0; i < 30; i++) {
      expect((await attempt(c, i, { headers: { "x-forwarded-for": `203.0.113.${i + 1}` } })).status).toBe(attemptStatus(i));
    }
    expectTooMany(await attempt(c, 30, { headers: { "x-forwarded-for": "203.0.113.222" } }), "RATE_LIMITED", 300);
  });
});
