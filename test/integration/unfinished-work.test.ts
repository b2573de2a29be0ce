/**
 * A Better Auth route that catches a database error and answers with a code of its own (sign-up:
 * 422 FAILED_TO_CREATE_USER, "your input was wrong") answers 503 SERVICE_UNAVAILABLE instead when
 * the database could not serve (auth/plugins/unfinished-work.ts): the client may retry, and
 * nothing was written.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, STRONG_PASSWORD, uniqueEmail, type TestInstance } from "../support/instance.ts";
import { startPgServer, type PgServer } from "../support/pg-server.ts";
import { sleep } from "../support/time.ts";

describe("a database failure Better Auth catches itself (postgres)", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("postgres", { RATE_LIMIT: "off" });
  });
  afterAll(() => t?.close());

  it("sign-up on a database that refuses writes (SQLSTATE 25006, a standby): 503, not 422, and no account", async () => {
    const db = t.services.db.kysely;
    // What a read-only standby answers to the user insert, inside Better Auth's own try/catch.
    await sql
      .raw(
        `CREATE OR REPLACE FUNCTION refuse_user() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' USING ERRCODE = '25006'; END $$;`,
      )
      .execute(db);
    await sql.raw(`CREATE TRIGGER refuse_user BEFORE INSERT ON "user" FOR EACH ROW EXECUTE FUNCTION refuse_user();`).execute(db);
    const email = uniqueEmail("standby");
    try {
      const res = await t.client().post("/api/auth/sign-up/email", { name: "Standby", email, password: STRONG_PASSWORD });
      expect(res.status, res.text).toBe(503);
      expect(res.json.code).toBe("SERVICE_UNAVAILABLE");
      expect(res.headers.get("retry-after")).toBeTruthy();
    } finally {
      await sql.raw(`DROP TRIGGER refuse_user ON "user"`).execute(db);
      await sql.raw(`DROP FUNCTION refuse_user()`).execute(db);
    }
    expect(await db.selectFrom("user").select("id").where("email", "=", email).execute()).toEqual([]);
    // Writable again: the same address signs up.
    expect((await t.client().post("/api/auth/sign-up/email", { name: "Standby", email, password: STRONG_PASSWORD })).status).toBe(200);
  });
});

describe("PostgreSQL down (connections refused): Better Auth's routes answer 503, not 401 or 500", () => {
  let pg: PgServer;
  let t: TestInstance;
  beforeAll(async () => {
    pg = await startPgServer();
    t = await createTestInstance("postgres", { DATABASE_URL: pg.url, RATE_LIMIT: "off" });
  });
  afterAll(async () => {
    await t?.close();
    await pg?.stop();
  });

  it("a signed-in reader's session routes say 'try again', never 'signed out', while the server restarts", async () => {
    const u = await t.signedInUser();
    // The pool cannot connect while the server is down: an error Kysely's own log never sees.
    const restarted = pg.restart({ downtimeMs: 4_000 });
    let answers: { path: string; status: number; code: unknown; retryAfter: string | null; setCookie: string[] }[] = [];
    try {
      await sleep(1_000);
      for (const path of ["/api/auth/get-session", "/api/auth/list-sessions"]) {
        const res = await u.client.get(path);
        answers.push({ path, status: res.status, code: res.json?.code, retryAfter: res.headers.get("retry-after"), setCookie: res.headers.getSetCookie() });
      }
    } finally {
      await restarted;
    }
    expect(answers).toEqual([
      { path: "/api/auth/get-session", status: 503, code: "SERVICE_UNAVAILABLE", retryAfter: expect.any(String), setCookie: [] },
      { path: "/api/auth/list-sessions", status: 503, code: "SERVICE_UNAVAILABLE", retryAfter: expect.any(String), setCookie: [] },
    ]);
    // Back: the same session works, nothing was signed out.
    answers = [];
    const back = await u.client.get("/api/auth/get-session");
    expect(back.status).toBe(200);
    expect(back.json?.user?.id).toBe(u.userId);
  }, 60_000);
});
