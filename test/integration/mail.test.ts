/**
 * Mail as the routes promise it (email/mail-outbox.ts): the row exists when the answer says so,
 * a mail that could not be written is never promised, and a taken address gets the same answer
 * and the same work behind it as a new one (ASVS 6.3.8), its owner a notice.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, DB_KINDS, STRONG_PASSWORD, uniqueEmail, type DbKind, type TestInstance } from "../support/instance.ts";

/** Every insert into mail_outbox fails (a full disk, a broken table): until the returned undo. */
async function breakOutbox(t: TestInstance) {
  const db = t.services.db.kysely;
  if (t.kind === "sqlite") {
    await sql.raw(`CREATE TRIGGER fail_mail BEFORE INSERT ON mail_outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END;`).execute(db);
    return () => sql.raw(`DROP TRIGGER fail_mail`).execute(db);
  }
  await sql.raw(`CREATE OR REPLACE FUNCTION fail_mail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;`).execute(db);
  await sql.raw(`CREATE TRIGGER fail_mail BEFORE INSERT ON mail_outbox FOR EACH ROW EXECUTE FUNCTION fail_mail();`).execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER fail_mail ON mail_outbox`).execute(db);
    await sql.raw(`DROP FUNCTION fail_mail()`).execute(db);
  };
}

describe.each(DB_KINDS)("mail from the routes on %s", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    // No per-address mail quota: the accounts below had their verification mail a moment ago.
    t = await createTestInstance(kind, { RATE_LIMIT: "off" });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("the sign-up's verification mail is a row by the time the answer arrives", async () => {
    const email = uniqueEmail("row-first");
    const before = Date.now();
    const res = await t.client().post("/api/auth/sign-up/email", { name: "Row First", email, password: STRONG_PASSWORD });
    expect(res.status).toBe(200);
    const rows = await t.services.db.kysely.selectFrom("mail_outbox").select(["template", "created_at"]).where("created_at", ">=", before).execute();
    expect(rows.map((r) => r.template)).toContain("verify-email");
    await t.mail.waitFor(email, { subject: /verify/i });
  });

  it("a mail that cannot be written is not promised: 503, for a new and a taken address alike", async () => {
    const taken = await t.signedInUser();
    const fresh = uniqueEmail("no-mail");
    const undo = await breakOutbox(t);
    try {
      for (const email of [fresh, taken.email]) {
        const res = await t.client().post("/api/auth/sign-up/email", { name: "No Mail", email, password: STRONG_PASSWORD });
        expect(res.status, email).toBe(503);
        expect(res.json.code).toBe("SERVICE_UNAVAILABLE");
        expect(res.headers.get("retry-after")).toBeTruthy();
      }
    } finally {
      await undo();
    }
    // Nothing half-made: the new address has no account without its mail, and signs up again.
    const users = (email: string) => t.services.db.kysely.selectFrom("user").select("id").where("email", "=", email).execute();
    expect(await users(fresh)).toEqual([]);
    expect((await users(taken.email)).length).toBe(1);
    expect((await t.client().post("/api/auth/sign-up/email", { name: "No Mail", email: fresh, password: STRONG_PASSWORD })).status).toBe(200);
    await t.mail.waitFor(fresh, { subject: /verify/i });
  });

  it("a taken address: the same answer as a new one, and its owner is told, with the ways back in", async () => {
    const owner = await t.signedInUser({ name: "Already Here" });
    const since = Date.now();
    const res = await t.client().post("/api/auth/sign-up/email", { name: "Someone", email: owner.email, password: "another good passphrase 1" });
    expect(res.status).toBe(200);
    const notice = await t.mail.waitFor(owner.email, { subject: /tried to create/i, since });
    expect(notice.text).toContain("nothing was created");
    expect(notice.links).toEqual(expect.arrayContaining([`${t.services.config.baseURL}/`, `${t.services.config.baseURL}/forgot-password`]));
    const events = (await owner.client.get("/api/v1/me/security-events")).json.events as { type: string }[];
    expect(events.map((e) => e.type)).toContain("sign_up_existing");
  });
});
