import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

/**
 * Better Auth's handler runs with its router built once (src/server/auth/better-auth/router.ts).
 * What its per-request rebuild guaranteed must still hold: its own CSRF checks on every route,
 * and no state shared between requests in flight at the same time.
 */
describe("Better Auth behind the cached router (sqlite)", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("sqlite", { FAST_PATHS: "on" });
  });
  afterAll(() => t.close());

  it("keeps Better Auth's origin checks (ASVS 3.5.1): foreign, missing and untrusted callback origins are refused", async () => {
    const u = await t.signedInUser();
    const foreign = await t.client().post(
      "/api/auth/sign-in/email",
      { email: u.email, password: u.password },
      { headers: { origin: "https://evil.example", cookie: u.client.cookieHeader() } },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.json.code).toBe("INVALID_ORIGIN");

    const missing = await t.client().post(
      "/api/auth/sign-in/email",
      { email: u.email, password: u.password },
      { noOrigin: true, headers: { cookie: u.client.cookieHeader() } },
    );
    expect(missing.status).toBe(403);
    expect(missing.json.code).toBe("MISSING_OR_NULL_ORIGIN");

    const callback = await t.client().post("/api/auth/sign-in/email", {
      email: u.email,
      password: u.password,
      callbackURL: "https://evil.example/steal",
    });
    expect(callback.status).toBe(403);
    expect(callback.json.code).toBe("INVALID_CALLBACK_URL");

    const csrf = await u.client.post(
      "/api/auth/change-password",
      { currentPassword: u.password, newPassword: "a different long passphrase 42" },
      { headers: { origin: "https://evil.example" } },
    );
    expect(csrf.status).toBe(403);
    // The password did not change.
    expect((await t.client().post("/api/auth/sign-in/email", { email: u.email, password: u.password })).status).toBe(200);
  });

  it("keeps concurrent requests apart: each sign-in gets its own session, IP and user", async () => {
    const users = [];
    for (let i = 0; i < 8; i++) {
      const { email, password } = await t.signedInUser({ name: `Parallel ${i}` });
      users.push({ email, password, client: t.client(`203.0.113.${i + 10}`) });
    }
    const signIns = await Promise.all(users.map((u) => u.client.post("/api/auth/sign-in/email", { email: u.email, password: u.password })));
    expect(signIns.map((r) => r.status)).toEqual(users.map(() => 200));
    const sessions = await Promise.all(users.map((u) => u.client.get("/api/auth/get-session")));
    for (const [i, s] of sessions.entries()) {
      expect(s.json.user.email).toBe(users[i]!.email);
      expect(s.json.session.ipAddress).toBe(users[i]!.client.ip);
    }
  });

  it("answers Better Auth's own routes and 404s as before", async () => {
    const ok = await t.client().get("/api/auth/ok");
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true });
    const none = await t.client().get("/api/auth/get-session");
    expect(none.status).toBe(200);
    expect(none.json).toBeNull();
    const missing = await t.client().get("/api/auth/no-such-route");
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe("NOT_FOUND");
  });
});
