/**
 * Redis away (decision 010): per-IP limits and quotas fail open to per-process counts, the
 * per-account throttle fails closed (503 + Retry-After), and nothing waits for ioredis' retries.
 * Against a real redis-server that is stopped (refused connections) and one that is paused
 * (SIGSTOP: connections stay open, nothing answers), then through the whole app.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../db/unavailable.ts";
import { STRONG_PASSWORD, createTestInstance, type TestInstance } from "../../../test/support/instance.ts";
import type { CounterStore } from "./counter-store.ts";
import { connectRedisCounters, CounterStoreUnavailableError, DEFAULT_TIMEOUT_MS, guardCounterStore } from "./redis-outage.ts";
import { startRedisServer, type RedisTestServer } from "../../../test/support/redis.ts";
import { sleep } from "../../../test/support/time.ts";

const silent = pino({ level: "silent" });

/** How long `fn` took, and what it gave or threw. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await fn();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

/** Poll until `fn` resolves (Redis back and reconnected), bounded. */
async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

describe("guardCounterStore (a store that fails or hangs)", () => {
  function flaky() {
    let mode: "up" | "failing" | "silent" = "up";
    let asked = 0;
    const answer = async <T>(value: T): Promise<T> => {
      asked++;
      if (mode === "failing") throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      if (mode === "silent") return new Promise<T>(() => {});
      return value;
    };
    const store: CounterStore = {
      increment: (_k, windowMs) => answer({ count: 100, resetAt: Date.now() + windowMs }),
      incrementMany: (list) => answer(list.map((e) => ({ count: 100, resetAt: Date.now() + e.windowMs }))),
      get: () => answer(null),
      getMany: (...keys) => answer(keys.map(() => null)),
      set: () => answer(undefined),
      delete: () => answer(undefined),
    };
    return { store, set: (m: typeof mode) => void (mode = m), asked: () => asked };
  }

  it("fails open to per-process counts (lenient) and closed (strict); no second try while paused; back after the pause", async () => {
    let t = 1_000_000;
    const f = flaky();
    const events: string[] = [];
    const { lenient, strict } = guardCounterStore(f.store, { now: () => t, pauseMs: 2_000, onDown: () => events.push("down"), onUp: () => events.push("up") });
    expect((await lenient.increment("k", 60_000)).count).toBe(100);

    f.set("failing");
    // The failure itself is answered from memory, and so is everything during the pause.
    expect((await lenient.increment("k", 60_000)).count).toBe(1);
    expect((await lenient.increment("k", 60_000)).count).toBe(2);
    const refused = await strict.getMany("a", "b").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CounterStoreUnavailableError);
    expect(isDatabaseUnavailable(refused), "answered 503 by app.onError").toBe(true);
    expect(f.asked()).toBe(2); // the first success and the first failure: nothing asked while paused
    expect(events).toEqual(["down"]);

    t += 2_001;
    f.set("up");
    expect((await strict.get("k"))).toBeNull();
    expect(events).toEqual(["down", "up"]);
    // The outage's memory counts are gone with it.
    f.set("failing");
    t += 2_001;
    expect((await lenient.increment("k", 60_000)).count).toBe(1);
  });

  it("a store that never answers costs one time limit, not a hang", async () => {
    const f = flaky();
    const { lenient, strict } = guardCounterStore(f.store, { timeoutMs: 100 });
    f.set("silent");
    const open = await timed(() => lenient.increment("k", 60_000));
    expect(open.value?.count).toBe(1);
    expect(open.ms).toBeLessThan(1_000);
    const closed = await timed(() => strict.get("k"));
    expect(closed.error).toBeInstanceOf(CounterStoreUnavailableError);
    expect(closed.ms).toBeLessThan(50); // paused: not even asked
  });

  it("a client that knows the server is away is not asked, and the outage is reported once, then its end", async () => {
    const f = flaky();
    let reconnecting = true;
    const events: string[] = [];
    const { lenient, strict } = guardCounterStore(f.store, { knownDown: () => reconnecting, onDown: () => events.push("down"), onUp: () => events.push("up") });
    expect((await lenient.increment("k", 60_000)).count).toBe(1);
    expect((await lenient.increment("k", 60_000)).count).toBe(2);
    await expect(strict.get("k")).rejects.toBeInstanceOf(CounterStoreUnavailableError);
    expect(f.asked()).toBe(0);
    reconnecting = false;
    expect((await lenient.increment("k", 60_000)).count).toBe(100);
    expect(events).toEqual(["down", "up"]);
  });

  it("lets our own argument errors through (bugs, not outages)", async () => {
    const { strict } = guardCounterStore({ ...flaky().store, increment: async () => { throw new RangeError("windowMs must be positive"); } });
    await expect(strict.increment("k", -1)).rejects.toBeInstanceOf(RangeError);
  });
});

describe("connectRedisCounters against a real redis-server", () => {
  let server: RedisTestServer;
  let stores: ReturnType<typeof connectRedisCounters>;

  beforeAll(async () => {
    server = await startRedisServer();
    stores = connectRedisCounters(server.url, silent);
    await stores.redis.ping();
  }, 15_000);

  afterAll(async () => {
    stores?.redis.disconnect();
    await server?.stop();
  });

  it("stopped: limits answer at once from memory, the throttle refuses at once; both use Redis again once it is back", async () => {
    expect((await stores.lenient.increment("ip:stop", 60_000)).count).toBe(1);
    expect(await stores.redis.get("aibook:rl:ip:stop")).toBe("1");

    await server.stop();
    // Before: ~15 s per command (ioredis' offline queue through its reconnect attempts), then a 500.
    const first = await timed(() => stores.lenient.increment("ip:stop", 60_000));
    expect(first.value?.count).toBe(1); // this process's own count of the outage
    expect(first.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + 500);
    const refused = await timed(() => stores.strict.get("acct:lock:x"));
    expect(refused.error).toBeInstanceOf(CounterStoreUnavailableError);
    expect(isDatabaseUnavailable(refused.error)).toBe(true);
    expect(refused.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + 500);
    for (let i = 2; i <= 5; i++) expect((await stores.lenient.increment("ip:stop", 60_000)).count).toBe(i);

    server = await startRedisServer({ port: server.port });
    await eventually(() => stores.strict.get("acct:lock:x"));
    // Counted in Redis again (a new, empty server: it keeps nothing on disk here).
    expect((await stores.lenient.increment("ip:stop", 60_000)).count).toBe(1);
    expect(await stores.redis.get("aibook:rl:ip:stop")).toBe("1");
  }, 30_000);

  it("paused (answers nothing): one time limit, then the same fail-open / fail-closed answers", async () => {
    await stores.lenient.increment("ip:pause", 60_000);
    server.pause();
    try {
      const open = await timed(() => stores.lenient.increment("ip:pause", 60_000));
      expect(open.value?.count).toBe(1);
      expect(open.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + 500);
      const closed = await timed(() => stores.strict.get("acct:lock:y"));
      expect(closed.error).toBeInstanceOf(CounterStoreUnavailableError);
      expect(closed.ms).toBeLessThan(DEFAULT_TIMEOUT_MS + 500);
    } finally {
      server.resume();
    }
    await eventually(() => stores.strict.get("acct:lock:y"));
    expect(Number(await stores.redis.get("aibook:rl:ip:pause"))).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

describe("the app with Redis stopped", () => {
  let server: RedisTestServer;
  let t: TestInstance;

  beforeAll(async () => {
    server = await startRedisServer();
    t = await createTestInstance("sqlite", { REDIS_URL: server.url, REQUIRE_EMAIL_VERIFICATION: "false" });
  }, 30_000);

  afterAll(async () => {
    await t?.close();
    await server?.stop();
  });

  it("password sign-in and the password grant answer 503 + Retry-After (fail closed); sessions, tokens, chats, sign-up go on; per-IP limits still count", async () => {
    const reader = t.client();
    const email = `outage.${Date.now()}@example.com`;
    expect((await reader.post("/api/auth/sign-up/email", { name: "Outage Reader", email, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await reader.post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD })).status).toBe(200);
    const grant = await t.client().post("/api/v1/auth/token", { grant_type: "password", email, password: STRONG_PASSWORD });
    expect(grant.status, grant.text).toBe(200);
    const bearer = { authorization: `Bearer ${grant.json.access_token}` };
    const chat = await reader.post("/api/v1/chats", undefined, { headers: bearer });
    expect(chat.status).toBe(201);

    await server.stop();

    for (const [what, res] of [
      ["sign-in", await timed(() => t.client().post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD }))],
      ["password grant", await timed(() => t.client().post("/api/v1/auth/token", { grant_type: "password", email, password: STRONG_PASSWORD }))],
    ] as const) {
      const r = res.value!;
      expect(r.status, `${what}: ${r.text}`).toBe(503);
      expect(r.json.code).toBe("SERVICE_UNAVAILABLE");
      expect(Number(r.headers.get("retry-after")), what).toBeGreaterThan(0);
      expect(r.headers.getSetCookie(), `${what}: no session handed out`).toEqual([]);
      expect(res.ms, `${what} answered without waiting for Redis`).toBeLessThan(2_000);
    }

    // Everything that needs no account throttle works.
    expect((await reader.get("/api/v1/me")).status).toBe(200);
    expect((await reader.get("/api/v1/me", { headers: bearer })).status).toBe(200);
    const refreshed = await t.client().post("/api/v1/auth/token", { grant_type: "refresh_token", refresh_token: grant.json.refresh_token });
    expect(refreshed.status, refreshed.text).toBe(200);
    const asked = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "What is a humanoid robot?" }, { headers: { ...bearer, accept: "application/json" } });
    expect(asked.status, asked.text).toBe(200);
    const other = `outage.other.${Date.now()}@example.com`;
    expect((await t.client().post("/api/auth/sign-up/email", { name: "Other Reader", email: other, password: STRONG_PASSWORD })).status).toBe(200);

    // Per-IP limits fail open but still count (in this process): the 31st sign-in from one IP is 429.
    const script = t.client();
    for (let i = 0; i < 30; i++) {
      // No email: counted by the per-IP rule, refused (400) before any throttle or hash.
      expect((await script.post("/api/auth/sign-in/email", { password: "x" })).status).toBe(400);
    }
    const limited = await script.post("/api/auth/sign-in/email", { password: "x" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);

    server = await startRedisServer({ port: server.port });
    const back = await eventually(async () => {
      const r = await t.client().post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD });
      if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
      return r;
    });
    expect(back.headers.getSetCookie().length).toBeGreaterThan(0);
  }, 60_000);
});
