/**
 * The token API (POST /api/v1/auth/token, /revoke) and its access JWTs, end to end on both
 * databases: OAuth-shaped answers, the claim set, verification through the published JWKS
 * as an outside service would do it, refresh rotation with reuse detection, absolute expiry,
 * revocation, and what a role change, password reset, sign-out everywhere or ban does to tokens.
 * ASVS ids are in the test names.
 */
import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../support/free-port.ts";
import {
  BASE_URL,
  createTestInstance,
  DB_KINDS,
  STRONG_PASSWORD,
  uniqueEmail,
  type TestClient,
  type TestInstance,
  type TestResponse,
} from "../support/instance.ts";
import { accountWithRole } from "../support/staff.ts";

const TOKEN = "/api/v1/auth/token";
const REVOKE = "/api/v1/auth/revoke";
const DAY_MS = 86_400_000;
const ACCESS_CLAIMS = ["aud", "email_verified", "exp", "iat", "iss", "jti", "role", "sub", "token_use"];
const RT_SHAPE = /^aibk_rt_[A-Za-z0-9_-]{43}$/;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");

function tokenApi(t: TestInstance) {
  const passwordGrant = (email: string, password: string, c: TestClient = t.client()) =>
    c.post(TOKEN, { grant_type: "password", email, password });
  const refresh = (refreshToken: string, c: TestClient = t.client()) =>
    c.post(TOKEN, { grant_type: "refresh_token", refresh_token: refreshToken });
  const me = (accessToken: string) => t.client().get("/api/v1/me", { headers: { authorization: `Bearer ${accessToken}` } });
  const revoke = (token: string) => t.client().post(REVOKE, { token });

  /** A verified user and a first token response from the password grant. */
  async function userWithTokens() {
    const user = await t.signedInUser();
    const res = await passwordGrant(user.email, user.password);
    expect(res.status, res.text).toBe(200);
    return { ...user, access: res.json.access_token as string, refresh: res.json.refresh_token as string };
  }

  async function familyOf(refreshToken: string) {
    const row = await t.services.db.kysely
      .selectFrom("refresh_token")
      .select(["family_id"])
      .where("token_hash", "=", sha256(refreshToken))
      .executeTakeFirstOrThrow();
    return t.services.db.kysely.selectFrom("refresh_token").selectAll().where("family_id", "=", row.family_id).execute();
  }

  return { passwordGrant, refresh, me, revoke, userWithTokens, familyOf };
}

function expectInvalidGrant(res: TestResponse) {
  expect(res.status, res.text).toBe(400);
  expect(res.json.error).toBe("invalid_grant");
}

describe.each(DB_KINDS)("token API on %s", (kind) => {
  let t: TestInstance;
  let api: ReturnType<typeof tokenApi>;
  let base: string;
  let server: ReturnType<typeof serve> | undefined;

  beforeAll(async () => {
    // A real socket, so the JWKS can be fetched the way another service would; BETTER_AUTH_URL is
    // that address (iss = aud = it), and the in-process client's Origin stays trusted.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestInstance(kind, { BETTER_AUTH_URL: base, TRUSTED_ORIGINS: BASE_URL });
    api = tokenApi(t);
    server = serve({ fetch: t.app.fetch, hostname: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      if (server!.listening) resolve();
      server!.once("listening", () => resolve());
      server!.once("error", reject);
    });
    expect((server.address() as AddressInfo).port).toBe(port);
  });
  afterAll(async () => {
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await t?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe("password grant", () => {
    it("14.3.2 answers exactly the OAuth token response, with Cache-Control: no-store", async () => {
      const user = await t.signedInUser();
      const res = await api.passwordGrant(user.email, user.password);
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.json).sort()).toEqual(["access_token", "expires_in", "refresh_expires_in", "refresh_token", "token_type"]);
      expect(res.json.token_type).toBe("Bearer");
      expect(res.json.expires_in).toBe(900);
      expect(res.json.refresh_expires_in).toBeGreaterThan(30 * 86_400 - 60);
      expect(res.json.refresh_expires_in).toBeLessThanOrEqual(30 * 86_400);
      expect(res.json.access_token.split(".")).toHaveLength(3);
      expect(res.json.refresh_token).toMatch(RT_SHAPE);
      expect(res.headers.get("cache-control")).toContain("no-store");
    });

    it("6.3.8 unknown email and wrong password get the same status and the same body", async () => {
      const user = await t.signedInUser();
      const unknown = await api.passwordGrant(uniqueEmail("nobody"), STRONG_PASSWORD);
      const wrong = await api.passwordGrant(user.email, "not the password at all");
      expect(unknown.status).toBe(400);
      expect(wrong.status).toBe(400);
      expect(unknown.json.error).toBe("invalid_grant");
      expect(wrong.json).toEqual(unknown.json);
      expect(wrong.text).toBe(unknown.text);
    });

    it("an unverified email with the right password gets 403 EMAIL_NOT_VERIFIED and no tokens", async () => {
      const email = uniqueEmail("unverified");
      const c = t.client();
      const signUp = await c.post("/api/auth/sign-up/email", { name: "Unverified", email, password: STRONG_PASSWORD });
      expect(signUp.status, signUp.text).toBe(200);
      const res = await api.passwordGrant(email, STRONG_PASSWORD);
      expect(res.status, res.text).toBe(403);
      expect(res.json.code).toBe("EMAIL_NOT_VERIFIED");
      expect(res.json.access_token).toBeUndefined();
      expect(res.json.refresh_token).toBeUndefined();
    });

    it("malformed requests get 400 invalid_request; an unknown grant_type gets unsupported_grant_type", async () => {
      const c = t.client();
      const cases: Array<[unknown, Record<string, string>?]> = [
        [{}],
        [{ grant_type: "password", email: "a@example.com" }],
        [{ grant_type: "password", email: 42, password: "x" }],
        [{ grant_type: "refresh_token" }],
        [{ grant_type: 7 }],
        [[1, 2, 3]],
        [null],
      ];
      for (const [body] of cases) {
        const res = await c.post(TOKEN, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.json.error, JSON.stringify(body)).toBe("invalid_request");
      }
      const badJson = await c.post(TOKEN, undefined, { raw: "{not json", headers: { "content-type": "application/json" } });
      expect(badJson.status).toBe(400);
      expect(badJson.json.error).toBe("invalid_request");
      const plain = await c.post(TOKEN, undefined, { raw: "grant_type=password", headers: { "content-type": "text/plain" } });
      expect(plain.status).toBe(400);
      expect(plain.json.error).toBe("invalid_request");

      const unsupported = await c.post(TOKEN, { grant_type: "client_credentials" });
      expect(unsupported.status).toBe(400);
      expect(unsupported.json.error).toBe("unsupported_grant_type");
    });

    it("accepts an application/x-www-form-urlencoded body (RFC 6749)", async () => {
      const user = await t.signedInUser();
      const form = new URLSearchParams({ grant_type: "password", email: user.email, password: user.password }).toString();
      const res = await t.client().post(TOKEN, undefined, { raw: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.refresh_token).toMatch(RT_SHAPE);
      const again = await t.client().post(TOKEN, undefined, {
        raw: new URLSearchParams({ grant_type: "refresh_token", refresh_token: res.json.refresh_token }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      });
      expect(again.status, again.text).toBe(200);
    });
  });

  describe("access tokens", () => {
    it("9.2.1/9.2.3 carry exactly iss, aud, sub, iat, exp (iat + 900), jti, role, email_verified, token_use; EdDSA with a kid", async () => {
      const u = await api.userWithTokens();
      const header = decodeProtectedHeader(u.access);
      expect(header.alg).toBe("EdDSA");
      expect(typeof header.kid).toBe("string");
      expect(header.kid!.length).toBeGreaterThan(0);
      const claims = decodeJwt(u.access);
      expect(Object.keys(claims).sort()).toEqual(ACCESS_CLAIMS);
      expect(claims.iss).toBe(base);
      expect(claims.aud).toBe(base);
      expect(claims.sub).toBe(u.userId);
      expect(claims.exp! - claims.iat!).toBe(900);
      expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(60);
      expect(claims.role).toBe("user");
      expect(claims.email_verified).toBe(true);
      expect(claims.token_use).toBe("access");
      expect(typeof claims.jti).toBe("string");

      const second = await api.passwordGrant(u.email, u.password);
      const refreshed = await api.refresh(u.refresh);
      const jtis = new Set([claims.jti, decodeJwt(second.json.access_token).jti, decodeJwt(refreshed.json.access_token).jti]);
      expect(jtis.size).toBe(3);
    });

    it("9.1.1/9.1.3 verify with jose through the published JWKS URL, as an outside service would", async () => {
      const u = await api.userWithTokens();
      const jwks = createRemoteJWKSet(new URL(`${base}/api/auth/jwks`));
      const { payload, protectedHeader } = await jwtVerify(u.access, jwks, { issuer: base, audience: base, algorithms: ["EdDSA"] });
      expect(payload.sub).toBe(u.userId);
      expect(payload.token_use).toBe("access");
      expect(protectedHeader.alg).toBe("EdDSA");
      // And the same service refuses a token for another audience.
      await expect(jwtVerify(u.access, jwks, { issuer: base, audience: "https://other.example", algorithms: ["EdDSA"] })).rejects.toThrow();
    });

    it("GET /api/auth/token with a session cookie mints a JWT with the same claim set, accepted as Bearer", async () => {
      const user = await t.signedInUser();
      const res = await user.client.get("/api/auth/token");
      expect(res.status, res.text).toBe(200);
      const token = res.json.token as string;
      const claims = decodeJwt(token);
      expect(Object.keys(claims).sort()).toEqual(ACCESS_CLAIMS);
      expect(claims).toMatchObject({ iss: base, aud: base, sub: user.userId, role: "user", email_verified: true, token_use: "access" });
      expect(claims.exp! - claims.iat!).toBe(900);
      const jwks = createRemoteJWKSet(new URL(`${base}/api/auth/jwks`));
      await jwtVerify(token, jwks, { issuer: base, audience: base, algorithms: ["EdDSA"] });
      const me = await api.me(token);
      expect(me.status, me.text).toBe(200);
      expect(me.json).toMatchObject({ id: user.userId, authenticatedVia: "bearer" });
      // Without a session there is nothing to mint from.
      const anonymous = await t.client().get("/api/auth/token");
      expect(anonymous.status).toBe(401);
    });

    it("/api/v1/me accepts the bearer access JWT (authenticatedVia: bearer)", async () => {
      const u = await api.userWithTokens();
      const me = await api.me(u.access);
      expect(me.status, me.text).toBe(200);
      expect(me.json).toMatchObject({ id: u.userId, email: u.email, role: "user", authenticatedVia: "bearer" });
      expect(me.headers.get("cache-control") ?? "").not.toContain("public");
    });

    it("9.2.2 a refresh token is not an access token (401), and an access token is not a refresh token (invalid_grant)", async () => {
      const u = await api.userWithTokens();
      const me = await api.me(u.refresh);
      expect(me.status).toBe(401);
      expect(me.json.code).toBe("UNAUTHORIZED");
      expectInvalidGrant(await api.refresh(u.access));
      // Neither attempt spent the refresh token.
      expect((await api.refresh(u.refresh)).status).toBe(200);
    });

    it("9.2.1 an access token is refused once 15 minutes have passed", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const t0 = Date.now();
      const u = await api.userWithTokens();
      expect((await api.me(u.access)).status).toBe(200);
      vi.setSystemTime(t0 + 899_000);
      expect((await api.me(u.access)).status).toBe(200);
      vi.setSystemTime(t0 + 901_000);
      const late = await api.me(u.access);
      expect(late.status).toBe(401);
      expect(late.json.code).toBe("UNAUTHORIZED");
    });
  });

  describe("refresh rotation (10.4.5)", () => {
    it("each refresh returns a new refresh token; the old one within the grace window returns the family's current token", async () => {
      const u = await api.userWithTokens();
      const r1 = await api.refresh(u.refresh);
      expect(r1.status, r1.text).toBe(200);
      expect(r1.headers.get("cache-control")).toContain("no-store");
      const rt1 = r1.json.refresh_token as string;
      expect(rt1).toMatch(RT_SHAPE);
      expect(rt1).not.toBe(u.refresh);
      expect((await api.me(r1.json.access_token)).status).toBe(200);

      const r2 = await api.refresh(rt1);
      expect(r2.status, r2.text).toBe(200);
      const rt2 = r2.json.refresh_token as string;
      expect(new Set([u.refresh, rt1, rt2]).size).toBe(3);

      // A lost response or a second tab: the grandparent and the parent both lead to rt2.
      const again0 = await api.refresh(u.refresh);
      expect(again0.status, again0.text).toBe(200);
      expect(again0.json.refresh_token).toBe(rt2);
      const again1 = await api.refresh(rt1);
      expect(again1.status, again1.text).toBe(200);
      expect(again1.json.refresh_token).toBe(rt2);

      const family = await api.familyOf(u.refresh);
      expect(family).toHaveLength(3);
      expect(family.filter((r) => r.rotated_at === null && r.revoked_at === null)).toHaveLength(1);
    });

    it("five parallel refreshes with one token all succeed with the same successor; one live row per family", async () => {
      const u = await api.userWithTokens();
      const results = await Promise.all(Array.from({ length: 5 }, () => api.refresh(u.refresh)));
      for (const r of results) expect(r.status, r.text).toBe(200);
      const successors = new Set(results.map((r) => r.json.refresh_token as string));
      expect(successors.size).toBe(1);
      const [successor] = [...successors];
      expect(successor).not.toBe(u.refresh);
      const family = await api.familyOf(u.refresh);
      expect(family).toHaveLength(2);
      const live = family.filter((r) => r.rotated_at === null && r.revoked_at === null);
      expect(live).toHaveLength(1);
      expect(live[0]!.token_hash).toBe(sha256(successor!));
      // Every answer carries a working access token.
      for (const r of results) expect((await api.me(r.json.access_token)).status).toBe(200);
    });

    it("reuse after the 10 s grace window is refused, revokes the whole family and records token_refresh_reuse", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const t0 = Date.now();
      const u = await api.userWithTokens();
      const r1 = await api.refresh(u.refresh);
      expect(r1.status).toBe(200);
      const rt1 = r1.json.refresh_token as string;

      vi.setSystemTime(t0 + 9_000);
      const inGrace = await api.refresh(u.refresh);
      expect(inGrace.status).toBe(200);
      expect(inGrace.json.refresh_token).toBe(rt1);

      vi.setSystemTime(t0 + 11_000);
      expectInvalidGrant(await api.refresh(u.refresh));
      // The thief's or the victim's current token is dead too.
      expectInvalidGrant(await api.refresh(rt1));
      const family = await api.familyOf(u.refresh);
      expect(family.every((r) => r.revoked_at !== null)).toBe(true);
      expect(new Set(family.map((r) => r.revoked_reason))).toEqual(new Set(["reuse_detected"]));

      const events = await t.services.db.kysely
        .selectFrom("security_event")
        .selectAll()
        .where("user_id", "=", u.userId)
        .where("type", "=", "token_refresh_reuse")
        .execute();
      expect(events).toHaveLength(1);
      expect(JSON.parse(events[0]!.detail!)).toMatchObject({ familyId: family[0]!.family_id });
      // Other families of the same user are untouched.
      const other = await api.passwordGrant(u.email, u.password);
      expect((await api.refresh(other.json.refresh_token)).status).toBe(200);
    });
  });

  describe("revocation (RFC 7009)", () => {
    it("POST /revoke answers 200 {} for valid, unknown and garbage tokens alike; the family is dead afterwards", async () => {
      const u = await api.userWithTokens();
      const r1 = await api.refresh(u.refresh);
      const rt1 = r1.json.refresh_token as string;

      // Revoking an ancestor kills the family's current token.
      const valid = await api.revoke(u.refresh);
      expect(valid.status).toBe(200);
      expect(valid.json).toEqual({});
      expect(valid.headers.get("cache-control")).toContain("no-store");
      expectInvalidGrant(await api.refresh(rt1));
      expectInvalidGrant(await api.refresh(u.refresh));
      const family = await api.familyOf(u.refresh);
      expect(family.every((r) => r.revoked_at !== null && r.revoked_reason === "revoked_by_client")).toBe(true);

      for (const token of ["aibk_rt_" + "A".repeat(43), "garbage", u.access, "x".repeat(512)]) {
        const res = await api.revoke(token);
        expect(res.status, token.slice(0, 20)).toBe(200);
        expect(res.json).toEqual({});
      }
      const again = await api.revoke(rt1);
      expect(again.status).toBe(200);
      expect(again.json).toEqual({});

      const form = await t.client().post(REVOKE, undefined, {
        raw: new URLSearchParams({ token: "garbage" }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(form.status).toBe(200);
    });
  });

  describe("role claims (8.3.2)", () => {
    it("a promoted user's new token says admin; /api/v1/me reports the current role, not the minted one", async () => {
      const u = await api.userWithTokens();
      const db = t.services.db.kysely;
      await db.updateTable("user").set({ role: "admin" }).where("id", "=", u.userId).execute();

      const promoted = await api.refresh(u.refresh);
      expect(promoted.status).toBe(200);
      const adminToken = promoted.json.access_token as string;
      expect(decodeJwt(adminToken).role).toBe("admin");
      expect(decodeJwt(u.access).role).toBe("user");

      // A direct database write bypasses the hooks: the hot path re-reads user rows within 2 s.
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 2_500);
      const meOld = await api.me(u.access);
      expect(meOld.status).toBe(200);
      expect(meOld.json.role).toBe("admin");

      // And the other way round: a demotion outranks the admin claim in a still-valid token.
      await db.updateTable("user").set({ role: "user" }).where("id", "=", u.userId).execute();
      vi.setSystemTime(Date.now() + 2_500);
      const meAdminToken = await api.me(adminToken);
      expect(meAdminToken.status).toBe(200);
      expect(meAdminToken.json.role).toBe("user");
    });
  });

  describe("events that end refresh tokens", () => {
    it("7.4.1 sign out everywhere revokes the user's refresh-token families", async () => {
      const u = await api.userWithTokens();
      const second = await api.passwordGrant(u.email, u.password);
      const res = await u.client.post("/api/auth/revoke-sessions", {});
      expect(res.status, res.text).toBe(200);
      expectInvalidGrant(await api.refresh(u.refresh));
      expectInvalidGrant(await api.refresh(second.json.refresh_token));
    });

    it("7.4.3 a password reset revokes the user's refresh-token families", async () => {
      const u = await api.userWithTokens();
      const since = Date.now();
      const req = await t.client().post("/api/auth/request-password-reset", { email: u.email, redirectTo: "/reset-password" });
      expect(req.status, req.text).toBe(200);
      const mail = await t.mail.waitFor(u.email, { subject: /reset/i, since });
      const link = t.mail.linkFrom(mail, "/reset-password");
      const token = /\/reset-password\/([^/?#]+)/.exec(new URL(link).pathname)?.[1];
      expect(token, link).toBeTruthy();
      const reset = await t.client().post("/api/auth/reset-password", { token, newPassword: "a brand new passphrase 42" });
      expect(reset.status, reset.text).toBe(200);
      expectInvalidGrant(await api.refresh(u.refresh));
      const rows = await t.services.db.kysely.selectFrom("refresh_token").selectAll().where("user_id", "=", u.userId).execute();
      expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
      expect(rows.some((r) => r.revoked_reason === "password_reset")).toBe(true);
    });

    it("7.4.2 a ban (admin API) ends bearer access at once and refresh with invalid_grant", async () => {
      const u = await api.userWithTokens();
      const staff = await accountWithRole(t, "admin");
      expect((await api.me(u.access)).status).toBe(200);

      const ban = await staff.client.post("/api/auth/admin/ban-user", { userId: u.userId, banReason: "test" });
      expect(ban.status, ban.text).toBe(200);
      const me = await api.me(u.access);
      expect(me.status).toBe(401);
      expect(me.json.code).toBe("UNAUTHORIZED");
      expectInvalidGrant(await api.refresh(u.refresh));
      const rows = await t.services.db.kysely.selectFrom("refresh_token").selectAll().where("user_id", "=", u.userId).execute();
      expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
      const grant = await api.passwordGrant(u.email, u.password);
      expect(grant.status).toBe(403);
      expect(grant.json.code).toBe("BANNED_USER");
    });

    it("7.4.2 banned=1 written straight to the database ends bearer access (within the 2 s row cache) and refresh", async () => {
      const u = await api.userWithTokens();
      expect((await api.me(u.access)).status).toBe(200);
      await t.services.db.kysely
        .updateTable("user")
        .set({ banned: t.kind === "sqlite" ? 1 : true })
        .where("id", "=", u.userId)
        .execute();
      expectInvalidGrant(await api.refresh(u.refresh));
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 2_500);
      const me = await api.me(u.access);
      expect(me.status).toBe(401);
      expect(me.json.code).toBe("UNAUTHORIZED");
    });
  });

  describe("refresh token format and storage (7.2.3)", () => {
    it("tokens are opaque aibk_rt_ strings of 256 random bits; the database holds only their SHA-256", async () => {
      const u = await api.userWithTokens();
      const tokens = [u.refresh];
      let current = u.refresh;
      for (let i = 0; i < 3; i++) {
        const r = await api.refresh(current);
        current = r.json.refresh_token;
        tokens.push(current);
      }
      for (let i = 0; i < 3; i++) tokens.push((await api.passwordGrant(u.email, u.password)).json.refresh_token);
      expect(new Set(tokens).size).toBe(tokens.length);
      for (const token of tokens) {
        expect(token).toMatch(RT_SHAPE);
        expect(Buffer.from(token.slice("aibk_rt_".length), "base64url")).toHaveLength(32);
        expect(token.split(".")).toHaveLength(1); // not a JWT
      }
      const rows = await t.services.db.kysely.selectFrom("refresh_token").selectAll().where("user_id", "=", u.userId).execute();
      expect(rows).toHaveLength(tokens.length);
      const dump = JSON.stringify(rows);
      for (const token of tokens) {
        expect(dump).not.toContain(token);
        expect(dump).not.toContain(token.slice("aibk_rt_".length));
      }
      expect(new Set(rows.map((r) => r.token_hash))).toEqual(new Set(tokens.map(sha256)));
    });
  });
});

describe.each(DB_KINDS)("absolute refresh expiry on %s (REFRESH_TOKEN_TTL_DAYS=2)", (kind) => {
  let t: TestInstance;
  let api: ReturnType<typeof tokenApi>;
  beforeAll(async () => {
    t = await createTestInstance(kind, { REFRESH_TOKEN_TTL_DAYS: "2" });
    api = tokenApi(t);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("10.4.8 refreshing every day never extends the family past its absolute expiry", async () => {
    const user = await t.signedInUser();
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    const first = await api.passwordGrant(user.email, user.password);
    expect(first.status).toBe(200);
    expect(first.json.refresh_expires_in).toBe(2 * 86_400);

    vi.setSystemTime(t0 + 1 * DAY_MS);
    const day1 = await api.refresh(first.json.refresh_token);
    expect(day1.status, day1.text).toBe(200);
    expect(day1.json.refresh_expires_in).toBe(86_400);

    vi.setSystemTime(t0 + 2 * DAY_MS - 60_000);
    const day2 = await api.refresh(day1.json.refresh_token);
    expect(day2.status, day2.text).toBe(200);
    expect(day2.json.refresh_expires_in).toBe(60);
    expect(day2.json.refresh_expires_in).toBeLessThan(day1.json.refresh_expires_in);

    vi.setSystemTime(t0 + 2 * DAY_MS + 1_000);
    expectInvalidGrant(await api.refresh(day2.json.refresh_token));
    vi.setSystemTime(t0 + 3 * DAY_MS);
    expectInvalidGrant(await api.refresh(day2.json.refresh_token));
    // A new sign-in starts a new family with a full lifetime.
    const fresh = await api.passwordGrant(user.email, user.password);
    expect(fresh.status).toBe(200);
    expect(fresh.json.refresh_expires_in).toBe(2 * 86_400);
  });
});
