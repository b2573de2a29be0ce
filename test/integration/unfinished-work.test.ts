/**
 * A Better Auth route that catches a database error and answers with a code of its own (sign-up:
 * 422 FAILED_TO_CREATE_USER, "your input was wrong") answers 503 SERVICE_UNAVAILABLE instead when
 * the database could not serve (auth/plugins/unfinished-work.ts): the client may retry, and
 * nothing was written.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, STRONG_PASSWORD, uniqueEmail, type TestInstance } from "../support/instance.ts";

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
