/**
 * The caller's security events through the API, end to end on both databases.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DB_KINDS, useTestInstance, type TestInstance, type TestClient } from "../../support/instance.ts";
import { BOSS, expectCleanError } from "./support.ts";

describe.each(DB_KINDS)("security events on %s", (kind) => {
  let t!: TestInstance;
  useTestInstance(kind, (made) => (t = made), { ADMIN_EMAILS: BOSS });

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
