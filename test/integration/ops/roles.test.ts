/**
 * Roles, end to end on both databases: no default admin, ADMIN_EMAILS (once verified, or at
 * once without required verification), no self-promotion, admin-only routes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promoteConfiguredAdmins } from "../../../src/server/account/admin-emails.ts";
import { createTestInstance, STRONG_PASSWORD, uniqueEmail, DB_KINDS, useTestInstance, type TestInstance } from "../../support/instance.ts";
import { BOSS, expectCleanError } from "./support.ts";
import { enrolSecondFactor } from "../../support/staff.ts";
import { totpCode } from "../../support/totp.ts";

describe.each(DB_KINDS)("roles on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made), { ADMIN_EMAILS: BOSS });

  // Must run first: nothing has signed up yet.
  it("6.3.2 a fresh database has no account at all, so no default admin", async () => {
    const users = await t.services.db.kysely.selectFrom("user").select("id").execute();
    expect(users).toEqual([]);
    expect(await t.services.db.kysely.selectFrom("account").select("id").execute()).toEqual([]);
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

      // 8.2.1 an admin-only Better Auth route: 200 for the admin (once their session passed a
      // second factor: STAFF_REQUIRE_2FA), 403 for a user, 401 for nobody.
      const before2fa = await c.get("/api/auth/admin/list-users");
      expect(before2fa.status).toBe(403);
      expect(before2fa.json.code).toBe("TWO_FACTOR_REQUIRED");
      const { totpURI } = await enrolSecondFactor(c, STRONG_PASSWORD);
      const list = await c.get("/api/auth/admin/list-users");
      expect(list.status, list.text).toBe(200);
      expect(list.json.users.map((u: { email: string }) => u.email)).toContain(BOSS);
      const user = await t.signedInUser();
      const forbidden = await user.client.get("/api/auth/admin/list-users");
      expectCleanError(forbidden, t, 403);
      expect(forbidden.text).not.toContain(BOSS);
      expect((await t.client().get("/api/auth/admin/list-users")).status).toBe(401);
      // A bearer token minted for the admin (with their second factor) carries the role.
      const adminToken = await t.client().post("/api/v1/auth/token", { grant_type: "password", email: BOSS, password: STRONG_PASSWORD, otp: totpCode(totpURI, Date.now(), 1) });
      expect(adminToken.status).toBe(200);
      expect((await t.client().get("/api/v1/me", { headers: { authorization: `Bearer ${adminToken.json.access_token}` } })).json.role).toBe("admin");
    });

    it("an address not in ADMIN_EMAILS stays a 'user' after verification", async () => {
      const { client } = await t.signedInUser({ email: uniqueEmail("notboss") });
      expect((await client.get("/api/v1/me")).json.role).toBe("user");
      expect((await client.get("/api/auth/admin/list-users")).status).toBe(403);
    });
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
    await enrolSecondFactor(c, STRONG_PASSWORD);
    expect((await c.get("/api/auth/admin/list-users")).status).toBe(200);
  });
});
