/**
 * "A reader without an account can already chat; nothing is lost when they sign up."
 *
 * The anonymous reader's chats and preferences move into the account on every path — password
 * sign-up with the verification link in the same browser or on another device, password
 * sign-in, an OAuth callback — exactly once, atomically, and never lost when the move fails
 * half-way (docs/decisions/007-anonymous-readers.md). Also: the purge of abandoned anonymous
 * readers, and the chat quotas.
 */
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { playGitHub, signInWithGitHub } from "../support/github.ts";
import { enrolSecondFactor } from "../support/staff.ts";
import { totpCode } from "../support/totp.ts";
import { anonymousReader, createTestInstance, DB_KINDS, STRONG_PASSWORD, uniqueEmail, type DbKind, type TestClient, type TestInstance } from "../support/instance.ts";

const CHAPTERS = [
  {
    slug: "anatomy-of-a-humanoid",
    title: "Anatomy of a humanoid",
    html: `<h2 id="actuators">Actuators</h2><p>Electric motors with gearboxes drive most humanoid joints.</p>
<h2 id="balance">Balance and the zero moment point</h2><p>A walking robot stays upright while its zero moment point remains inside the support polygon formed by its feet.</p>`,
  },
];

const JSON_ACCEPT = { headers: { accept: "application/json" } };



/** A chat with one question and its answer; returns the chat id. */
async function chatWithMessage(client: TestClient, title: string, question = "How does a robot keep its balance?") {
  const chat = await client.post("/api/v1/chats", { title });
  expect(chat.status).toBe(201);
  const answer = await client.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question }, JSON_ACCEPT);
  expect(answer.status, answer.text).toBe(200);
  return chat.json.id as string;
}

/** What the database holds for a user: the rows that must all go when an anonymous user is merged. */
async function rowsOf(t: TestInstance, userId: string) {
  const db = t.services.db.kysely;
  const count = async (q: Promise<{ n: string | number | bigint } | undefined>) => Number((await q)?.n ?? 0);
  return {
    user: await count(db.selectFrom("user").select((eb) => eb.fn.countAll().as("n")).where("id", "=", userId).executeTakeFirst()),
    session: await count(db.selectFrom("session").select((eb) => eb.fn.countAll().as("n")).where("userId", "=", userId).executeTakeFirst()),
    preferences: await count(db.selectFrom("user_preferences").select((eb) => eb.fn.countAll().as("n")).where("user_id", "=", userId).executeTakeFirst()),
    chat: await count(db.selectFrom("chat").select((eb) => eb.fn.countAll().as("n")).where("owner_id", "=", userId).executeTakeFirst()),
    message: await count(
      db
        .selectFrom("message")
        .innerJoin("chat", "chat.id", "message.chat_id")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("chat.owner_id", "=", userId)
        .executeTakeFirst(),
    ),
  };
}

const NOTHING = { user: 0, session: 0, preferences: 0, chat: 0, message: 0 };

async function mergeRow(t: TestInstance, anonymousId: string) {
  return t.services.db.kysely.selectFrom("anonymous_merge").selectAll().where("anonymous_user_id", "=", anonymousId).executeTakeFirst();
}

async function ownersOf(t: TestInstance, chatIds: string[]) {
  const rows = await t.services.db.kysely.selectFrom("chat").select(["id", "owner_id"]).where("id", "in", chatIds).execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.owner_id]));
}

async function messageIdsOf(t: TestInstance, chatIds: string[]) {
  const rows = await t.services.db.kysely.selectFrom("message").select("id").where("chat_id", "in", chatIds).orderBy("id").execute();
  return rows.map((r) => r.id);
}

/** A trigger that makes every `UPDATE chat SET owner_id` fail: the merge breaks half-way. */
async function breakChatMoves(t: TestInstance) {
  const db = t.services.db.kysely;
  if (t.kind === "sqlite") {
    await sql.raw(`CREATE TRIGGER fail_merge BEFORE UPDATE OF owner_id ON chat BEGIN SELECT RAISE(ABORT, 'boom'); END;`).execute(db);
  } else {
    await sql.raw(`CREATE OR REPLACE FUNCTION fail_merge() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$;`).execute(db);
    await sql.raw(`CREATE TRIGGER fail_merge BEFORE UPDATE OF owner_id ON chat FOR EACH ROW EXECUTE FUNCTION fail_merge();`).execute(db);
  }
  return async () => {
    if (t.kind === "sqlite") await sql.raw(`DROP TRIGGER fail_merge`).execute(db);
    else {
      await sql.raw(`DROP TRIGGER fail_merge ON chat`).execute(db);
      await sql.raw(`DROP FUNCTION fail_merge()`).execute(db);
    }
  };
}

async function verificationLink(t: TestInstance, client: TestClient, email: string) {
  const since = Date.now();
  const signUp = await client.post("/api/auth/sign-up/email", { name: "New Reader", email, password: STRONG_PASSWORD });
  expect(signUp.status, signUp.text).toBe(200);
  const mail = await t.mail.waitFor(email, { subject: /verify/i, since });
  return t.mail.linkFrom(mail, "/api/auth/verify-email");
}

/** The guest's sessions run out (or were purged): the browser still sends the cookie. */
async function expireSessionsOf(t: TestInstance, userId: string) {
  await t.services.db.kysely.updateTable("session").set({ expiresAt: new Date(Date.now() - 60_000).toISOString() }).where("userId", "=", userId).execute();
  t.services.userEvents.changed(userId);
}

async function chatIdsOf(client: TestClient): Promise<string[]> {
  const res = await client.get("/api/v1/chats?limit=100");
  expect(res.status).toBe(200);
  return res.json.chats.map((c: { id: string }) => c.id);
}

describe.each(DB_KINDS)("anonymous reader → account on %s", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, {
      CHAT_ANONYMOUS_DAILY_MESSAGES: "1000",
      GITHUB_CLIENT_ID: "gh-client-id",
      GITHUB_CLIENT_SECRET: "gh-client-secret",
    });
    t.services.indexBook(CHAPTERS);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("(a) sign-up, then the verification link in the same browser: chats and preferences move, the anonymous user and cookie are gone", async () => {
    const anon = await anonymousReader(t);
    const chats = [await chatWithMessage(anon.client, "First"), await chatWithMessage(anon.client, "Second")];
    const messages = await messageIdsOf(t, chats);
    expect(messages).toHaveLength(4);
    expect((await anon.client.patch("/api/v1/me/preferences", { theme: "dark" })).status).toBe(200);

    const email = uniqueEmail("same-browser");
    const link = await verificationLink(t, anon.client, email);
    // Until the address is verified nothing moves: the claim waits.
    expect(await mergeRow(t, anon.id)).toMatchObject({ status: "awaiting_verification" });
    expect((await rowsOf(t, anon.id)).chat).toBe(2);

    expect((await anon.client.get(link)).status).toBe(302);
    // Regression: the move deleted the anonymous session inside /verify-email, and Better Auth then
    // cleared the new session cookie with it: the reader landed signed out.
    const me = await anon.client.get("/api/v1/me");
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ email, isAnonymous: false });
    expect(me.json.preferences.theme).toBe("dark");
    expect((await chatIdsOf(anon.client)).sort()).toEqual([...chats].sort());
    expect(await messageIdsOf(t, chats)).toEqual(messages);
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect(await mergeRow(t, anon.id)).toMatchObject({ status: "done", target_user_id: me.json.id });
    // ASVS 7.2.4: the anonymous session token is dead.
    expect((await t.client().get("/api/v1/me", { headers: { cookie: anon.cookie } })).status).toBe(401);
  });

  it("(b) the verification link on another device: everything moves, the anonymous browser is signed out, nothing is left behind; the device is not signed in by the link (ASVS 3.5.3)", async () => {
    const anon = await anonymousReader(t);
    const chats = [await chatWithMessage(anon.client, "Guest one"), await chatWithMessage(anon.client, "Guest two")];
    const messages = await messageIdsOf(t, chats);
    await anon.client.patch("/api/v1/me/preferences", { theme: "dark", language: "fr" });
    expect(await rowsOf(t, anon.id)).toEqual({ user: 1, session: 1, preferences: 1, chat: 2, message: 4 });

    const email = uniqueEmail("other-device");
    const link = await verificationLink(t, anon.client, email);
    const phone = t.client();
    const opened = await phone.get(link);
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).toContain("sign_in=required");
    expect(opened.headers.getSetCookie()).toEqual([]);
    expect((await phone.get("/api/v1/me")).status).toBe(401);
    expect((await phone.post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD })).status).toBe(200);
    const me = await phone.get("/api/v1/me");
    expect(me.json).toMatchObject({ email, isAnonymous: false, preferences: { theme: "dark", language: "fr" } });
    expect((await chatIdsOf(phone)).sort()).toEqual([...chats].sort());
    expect(await messageIdsOf(t, chats)).toEqual(messages);

    expect((await anon.client.get("/api/v1/me")).status).toBe(401);
    expect((await anon.client.get("/api/v1/chats")).status).toBe(401);
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect(await rowsOf(t, me.json.id)).toMatchObject({ preferences: 1, chat: 2, message: 4 });
  });

  // A stale guest cookie must never cost a reader the session they just obtained: Better Auth's
  // anonymous plugin, finding the dead session, cleared the session cookie in the very answer
  // that set the new one (200, a token in the body, and signed out).
  it("(b2) back in the guest's browser after the move on another device: password sign-in signs in", async () => {
    const anon = await anonymousReader(t);
    const chats = [await chatWithMessage(anon.client, "Guest chat")];
    const email = uniqueEmail("back-home");
    const link = await verificationLink(t, anon.client, email);
    expect((await t.client().get(link)).status).toBe(302); // on the phone: chats move, the guest session goes
    expect(anon.client.cookies.has("better-auth.session_token")).toBe(true); // the laptop still holds it

    const signIn = await anon.client.post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD });
    expect(signIn.status, signIn.text).toBe(200);
    const set = signIn.headers.getSetCookie().filter((line) => line.startsWith("better-auth.session_token="));
    expect(set).toHaveLength(1);
    expect(set[0]).not.toMatch(/Max-Age=0/);
    const me = await anon.client.get("/api/v1/me");
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ email, isAnonymous: false });
    expect(await chatIdsOf(anon.client)).toEqual(chats);
  });

  it("(b2') two session cookies, a malformed one first: sign-in still signs in", async () => {
    const u = await t.signedInUser();
    const valid = u.client.cookies.get("better-auth.session_token")!;
    const res = await t.client().post("/api/auth/sign-in/email", { email: u.email, password: u.password }, {
      headers: { cookie: `better-auth.session_token=bad"value; better-auth.session_token=${valid}` },
    });
    expect(res.status, res.text).toBe(200);
    const set = res.headers.getSetCookie().filter((line) => line.startsWith("better-auth.session_token="));
    expect(set).toHaveLength(1);
    expect(set[0]).not.toMatch(/Max-Age=0/);
  });

  it("(b3) a guest whose session expired opens their own verification link: signed in", async () => {
    const anon = await anonymousReader(t);
    const email = uniqueEmail("expired-guest");
    const link = await verificationLink(t, anon.client, email);
    await expireSessionsOf(t, anon.id);
    const opened = await anon.client.get(link);
    expect(opened.status).toBe(302);
    expect(opened.headers.get("location")).not.toContain("sign_in=required");
    const me = await anon.client.get("/api/v1/me");
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ email, isAnonymous: false });
  });

  it("(c) signing in to an account that already has chats merges both sets, without duplicates", async () => {
    const account = await t.signedInUser();
    const own = [await chatWithMessage(account.client, "Mine 1"), await chatWithMessage(account.client, "Mine 2")];
    const anon = await anonymousReader(t);
    const guest = [await chatWithMessage(anon.client, "Guest 1"), await chatWithMessage(anon.client, "Guest 2"), await chatWithMessage(anon.client, "Guest 3")];
    const messages = await messageIdsOf(t, [...own, ...guest]);

    const signIn = await anon.client.post("/api/auth/sign-in/email", { email: account.email, password: STRONG_PASSWORD });
    expect(signIn.status, signIn.text).toBe(200);
    const ids = await chatIdsOf(anon.client);
    expect(ids).toHaveLength(5);
    expect(new Set(ids)).toEqual(new Set([...own, ...guest]));
    expect((await chatIdsOf(account.client)).sort()).toEqual([...ids].sort());
    expect(await messageIdsOf(t, [...own, ...guest])).toEqual(messages);
    expect(await rowsOf(t, account.userId)).toMatchObject({ chat: 5, message: 10 });
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect((await t.client().get("/api/v1/me", { headers: { cookie: anon.cookie } })).status).toBe(401);

    // The retry job finds nothing more to do.
    await t.services.runMaintenance();
    expect(await rowsOf(t, account.userId)).toMatchObject({ chat: 5, message: 10 });
  });

  it("(d) preferences: the anonymous reader's fill in an account that has none; an account's own win", async () => {
    const bare = await t.signedInUser();
    expect((await rowsOf(t, bare.userId)).preferences).toBe(0);
    const anon1 = await anonymousReader(t);
    await anon1.client.patch("/api/v1/me/preferences", { theme: "dark", language: "de" });
    expect((await anon1.client.post("/api/auth/sign-in/email", { email: bare.email, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await anon1.client.get("/api/v1/me/preferences")).json).toMatchObject({ theme: "dark", language: "de" });

    const styled = await t.signedInUser();
    await styled.client.patch("/api/v1/me/preferences", { theme: "light" });
    const anon2 = await anonymousReader(t);
    await anon2.client.patch("/api/v1/me/preferences", { theme: "dark", language: "de" });
    expect((await anon2.client.post("/api/auth/sign-in/email", { email: styled.email, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await anon2.client.get("/api/v1/me/preferences")).json).toMatchObject({ theme: "light", language: "en" });
    expect(await rowsOf(t, anon2.id)).toEqual(NOTHING);
  });

  it("(e) a move that fails half-way: sign-in still succeeds, nothing is lost or half-moved, and the job finishes it exactly once", async () => {
    const account = await t.signedInUser();
    const own = await chatWithMessage(account.client, "Account's own");
    const anon = await anonymousReader(t);
    const guest = [await chatWithMessage(anon.client, "Guest A"), await chatWithMessage(anon.client, "Guest B")];
    const messages = await messageIdsOf(t, guest);

    const repair = await breakChatMoves(t);
    let repaired = false;
    try {
      const signIn = await anon.client.post("/api/auth/sign-in/email", { email: account.email, password: STRONG_PASSWORD });
      expect(signIn.status, signIn.text).toBe(200);
      expect((await anon.client.get("/api/v1/me")).json).toMatchObject({ id: account.userId, isAnonymous: false });
      // The anonymous session is dead all the same (ASVS 7.2.4)...
      expect((await t.client().get("/api/v1/me", { headers: { cookie: anon.cookie } })).status).toBe(401);
      // ...but its chats are intact, still its own, and the account has none of them yet.
      expect(await ownersOf(t, guest)).toEqual(Object.fromEntries(guest.map((id) => [id, anon.id])));
      expect(await messageIdsOf(t, guest)).toEqual(messages);
      expect(await chatIdsOf(anon.client)).toEqual([own]);
      expect(await rowsOf(t, anon.id)).toEqual({ user: 1, session: 0, preferences: 0, chat: 2, message: 4 });
      const pending = await mergeRow(t, anon.id);
      expect(pending).toMatchObject({ status: "pending", target_user_id: account.userId });
      expect(pending!.last_error).toContain("boom");

      // The job, while the fault lasts, changes nothing either.
      await t.services.runMaintenance();
      expect(await ownersOf(t, guest)).toEqual(Object.fromEntries(guest.map((id) => [id, anon.id])));
      expect(await mergeRow(t, anon.id)).toMatchObject({ status: "pending" });

      await repair();
      repaired = true;
      const first = await t.services.runMaintenance();
      expect(first.merged).toBeGreaterThanOrEqual(1);
      expect(await mergeRow(t, anon.id)).toMatchObject({ status: "done", last_error: null });
      expect(await ownersOf(t, guest)).toEqual(Object.fromEntries(guest.map((id) => [id, account.userId])));
      expect((await chatIdsOf(anon.client)).sort()).toEqual([own, ...guest].sort());
      expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
      const after = await rowsOf(t, account.userId);
      expect(after).toMatchObject({ chat: 3, message: 6 });

      const again = await t.services.runMaintenance();
      expect(again.merged).toBe(0);
      expect(await rowsOf(t, account.userId)).toEqual(after);
      expect(await messageIdsOf(t, guest)).toEqual(messages);
    } finally {
      if (!repaired) await repair();
    }
  });

  it("(f) two links for the same anonymous reader at once: one move, no error, no duplicates", async () => {
    const account = await t.signedInUser();
    const anon = await anonymousReader(t);
    const guest = [await chatWithMessage(anon.client, "Race 1"), await chatWithMessage(anon.client, "Race 2")];
    const messages = await messageIdsOf(t, guest);
    await anon.client.patch("/api/v1/me/preferences", { theme: "dark" });

    const results = await Promise.allSettled([
      t.services.anonymous.link(anon.id, account.userId),
      t.services.anonymous.link(anon.id, account.userId),
      t.services.anonymous.link(anon.id, account.userId),
      t.services.anonymous.retryPending(),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "fulfilled"]);
    expect(await rowsOf(t, account.userId)).toMatchObject({ chat: 2, message: 4, preferences: 1 });
    expect(await messageIdsOf(t, guest)).toEqual(messages);
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect(await mergeRow(t, anon.id)).toMatchObject({ status: "done", attempts: 1, last_error: null });
    const audits = await t.services.db.kysely
      .selectFrom("security_event")
      .select("id")
      .where("user_id", "=", account.userId)
      .where("type", "=", "anonymous_merged")
      .execute();
    expect(audits).toHaveLength(1);
  });

  it("(g) signing up with an email that already has an account records no claim, and moves nothing into that account", async () => {
    const existing = await t.signedInUser();
    const own = await chatWithMessage(existing.client, "Owner's chat");
    const anon = await anonymousReader(t);
    const guest = await chatWithMessage(anon.client, "Squatter's chat");

    const signUp = await anon.client.post("/api/auth/sign-up/email", { name: "Someone Else", email: existing.email, password: "another long passphrase here" });
    expect(signUp.status, signUp.text).toBe(200); // the same answer as for a new address
    expect(await mergeRow(t, anon.id)).toBeUndefined();
    expect(await ownersOf(t, [guest, own])).toEqual({ [guest]: anon.id, [own]: existing.userId });
    // The anonymous reader keeps chatting as before; the owner's account is untouched, even after
    // they sign in again and the job runs.
    expect((await anon.client.get("/api/v1/me")).json).toMatchObject({ id: anon.id, isAnonymous: true });
    expect((await t.client().post("/api/auth/sign-in/email", { email: existing.email, password: STRONG_PASSWORD })).status).toBe(200);
    await t.services.runMaintenance();
    expect(await chatIdsOf(existing.client)).toEqual([own]);
    expect(await chatIdsOf(anon.client)).toEqual([guest]);
  });

  it("(h) OAuth (GitHub, its endpoints played in-process): the callback moves the anonymous reader's chats", async () => {
    const email = uniqueEmail("octocat");
    const seen = playGitHub(email);

    const anon = await anonymousReader(t);
    const guest = [await chatWithMessage(anon.client, "Before GitHub")];
    const start = await anon.client.post("/api/auth/sign-in/social", { provider: "github", callbackURL: "/read" });
    expect(start.status, start.text).toBe(200);
    const authorize = new URL(start.json.url);
    expect(authorize.origin + authorize.pathname).toBe("https://github.com/login/oauth/authorize");
    const state = authorize.searchParams.get("state")!;

    const callback = await anon.client.get(`/api/auth/callback/github?code=the-code&state=${encodeURIComponent(state)}`);
    expect(callback.status, callback.text).toBe(302);
    expect(callback.headers.get("location")).toMatch(/\/read$/);
    expect(seen).toEqual(["token", "user", "emails"]);

    const me = await anon.client.get("/api/v1/me");
    expect(me.json).toMatchObject({ email, isAnonymous: false });
    expect(await chatIdsOf(anon.client)).toEqual(guest);
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect(await mergeRow(t, anon.id)).toMatchObject({ status: "done", target_user_id: me.json.id });
    expect((await t.client().get("/api/v1/me", { headers: { cookie: anon.cookie } })).status).toBe(401);
    const events = await t.services.db.kysely.selectFrom("security_event").select(["type", "detail"]).where("user_id", "=", me.json.id).execute();
    expect(events.filter((e) => e.type === "sign_up").map((e) => JSON.parse(e.detail ?? "null"))).toEqual([{ method: "github" }]);
  });

  it("(i) into an account with a second factor, by password and by GitHub: challenged, then the right code moves the guest's chats", async () => {
    const owner = await t.signedInUser({ name: "Guarded Owner" });
    const { totpURI, backupCodes } = await enrolSecondFactor(owner.client, owner.password);

    // Password: the sign-in asks for the code, nothing moves yet; a wrong code moves nothing either.
    const anon = await anonymousReader(t);
    const guest = [await chatWithMessage(anon.client, "Before the code")];
    const pw = await anon.client.post("/api/auth/sign-in/email", { email: owner.email, password: STRONG_PASSWORD });
    expect(pw.json.twoFactorRedirect).toBe(true);
    expect(Object.values(await ownersOf(t, guest))).toEqual([anon.id]);
    expect((await anon.client.post("/api/auth/two-factor/verify-totp", { code: totpCode(totpURI, Date.now(), 10) })).status).toBe(401);
    expect(Object.values(await ownersOf(t, guest))).toEqual([anon.id]);
    const code = await anon.client.post("/api/auth/two-factor/verify-totp", { code: totpCode(totpURI, Date.now(), 1) });
    expect(code.status, code.text).toBe(200);
    expect(Object.values(await ownersOf(t, guest))).toEqual([owner.userId]);
    expect(await rowsOf(t, anon.id)).toEqual(NOTHING);
    expect(await mergeRow(t, anon.id)).toMatchObject({ status: "done", target_user_id: owner.userId });

    // GitHub, the same account (linked by its verified address): challenged, a recovery code ends it.
    playGitHub(owner.email);
    const anon2 = await anonymousReader(t);
    const guest2 = [await chatWithMessage(anon2.client, "Before GitHub and the code")];
    const callback = await signInWithGitHub(anon2.client);
    expect(new URL(callback.headers.get("location")!).searchParams.get("second-factor")).toBe("1");
    expect(Object.values(await ownersOf(t, guest2))).toEqual([anon2.id]);
    expect((await anon2.client.post("/api/auth/two-factor/verify-backup-code", { code: backupCodes[0] })).status).toBe(200);
    expect(Object.values(await ownersOf(t, guest2))).toEqual([owner.userId]);
    expect(await chatIdsOf(anon2.client)).toEqual(expect.arrayContaining([...guest, ...guest2]));
    expect(await rowsOf(t, anon2.id)).toEqual(NOTHING);
  });

  it("(h2) OAuth with a stale guest cookie at the callback: signed in to the GitHub account", async () => {
    const email = uniqueEmail("octo-stale");
    playGitHub(email);
    const anon = await anonymousReader(t);
    const start = await anon.client.post("/api/auth/sign-in/social", { provider: "github", callbackURL: "/read" });
    expect(start.status, start.text).toBe(200);
    const state = new URL(start.json.url).searchParams.get("state")!;
    await expireSessionsOf(t, anon.id);
    const callback = await anon.client.get(`/api/auth/callback/github?code=the-code&state=${encodeURIComponent(state)}`);
    expect(callback.status, callback.text).toBe(302);
    const me = await anon.client.get("/api/v1/me");
    expect(me.status, me.text).toBe(200);
    expect(me.json).toMatchObject({ email, isAnonymous: false });
  });
});

describe.each(DB_KINDS)("purge of abandoned anonymous readers on %s", (kind: DbKind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { ANONYMOUS_RETENTION_DAYS: "30" });
    t.services.indexBook(CHAPTERS);
  });
  afterAll(async () => {
    vi.useRealTimers();
    await t?.close();
  });

  it("deletes anonymous readers idle for ANONYMOUS_RETENTION_DAYS with their chats; keeps active ones, pending merges and accounts", async () => {
    const idle = await anonymousReader(t);
    const idleChat = await chatWithMessage(idle.client, "Forgotten");
    const returning = await anonymousReader(t); // idle too, but chats again just before the job
    const returningChat = await chatWithMessage(returning.client, "Coming back");
    const account = await t.signedInUser(); // a real account that never comes back
    const waiting = await anonymousReader(t); // its move into an account keeps failing
    const waitingChat = await chatWithMessage(waiting.client, "Waiting to move");
    const target = await t.signedInUser();
    const repair = await breakChatMoves(t);
    try {
      expect((await waiting.client.post("/api/auth/sign-in/email", { email: target.email, password: STRONG_PASSWORD })).status).toBe(200);
      expect(await mergeRow(t, waiting.id)).toMatchObject({ status: "pending" });

      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 31 * 86_400_000);
      // Activity in the last days: a message in its chat.
      await t.services.db.kysely.updateTable("chat").set({ updated_at: Date.now() - 86_400_000 }).where("id", "=", returningChat).execute();
      const fresh = await anonymousReader(t); // arrived yesterday... well, today
      const freshChat = await chatWithMessage(fresh.client, "Brand new");

      const result = await t.services.runMaintenance();
      expect(result).toMatchObject({ merged: 0, purged: 1 });
      expect(await rowsOf(t, idle.id)).toEqual(NOTHING);
      expect(await messageIdsOf(t, [idleChat])).toEqual([]);
      expect(await rowsOf(t, returning.id)).toMatchObject({ user: 1, chat: 1, message: 2 });
      expect(await rowsOf(t, fresh.id)).toMatchObject({ user: 1, session: 1, chat: 1, message: 2 });
      expect(await rowsOf(t, waiting.id)).toMatchObject({ user: 1, chat: 1, message: 2 });
      expect((await rowsOf(t, account.userId)).user).toBe(1);
      expect((await rowsOf(t, target.userId)).user).toBe(1);
      expect(await ownersOf(t, [freshChat, waitingChat])).toEqual({ [freshChat]: fresh.id, [waitingChat]: waiting.id });

      // Once the fault is gone the waiting reader moves (and is then gone as an anonymous user).
      await repair();
      expect(await t.services.runMaintenance()).toMatchObject({ merged: 1, purged: 0 });
      expect(await ownersOf(t, [waitingChat])).toEqual({ [waitingChat]: target.userId });
      expect(await t.services.runMaintenance()).toMatchObject({ merged: 0, purged: 0 });
    } finally {
      vi.useRealTimers();
      if ((await mergeRow(t, waiting.id))?.status !== "done") await repair().catch(() => {});
    }
  });
});

describe.each(DB_KINDS)("chat quotas on %s", (kind: DbKind) => {
  let t: TestInstance;
  let off: TestInstance;
  beforeAll(async () => {
    [t, off] = await Promise.all([
      createTestInstance(kind, { CHAT_MESSAGES_PER_MINUTE: "3", CHAT_USER_DAILY_MESSAGES: "2", CHAT_ANONYMOUS_DAILY_MESSAGES: "100" }),
      createTestInstance(kind, { RATE_LIMIT: "off", CHAT_MESSAGES_PER_MINUTE: "1", CHAT_ANONYMOUS_DAILY_MESSAGES: "3" }),
    ]);
    t.services.indexBook(CHAPTERS);
    off.services.indexBook(CHAPTERS);
  });
  afterAll(async () => {
    await t?.close();
    await off?.close();
  });

  const ask = (client: TestClient, chatId: string, n: number) =>
    client.post(`/api/v1/chats/${chatId}/messages`, { content: `Question ${n} about the zero moment point` }, JSON_ACCEPT);

  it("per reader: CHAT_MESSAGES_PER_MINUTE, then 429 RATE_LIMITED with Retry-After; the refused message is not stored", async () => {
    const anon = await anonymousReader(t);
    const chat = (await anon.client.post("/api/v1/chats", {})).json.id;
    for (let i = 0; i < 3; i++) expect((await ask(anon.client, chat, i)).status).toBe(200);
    const denied = await ask(anon.client, chat, 3);
    expect(denied.status).toBe(429);
    expect(denied.json).toMatchObject({ code: "RATE_LIMITED", anonymous: true });
    const retryAfter = Number(denied.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await anon.client.get(`/api/v1/chats/${chat}`)).json.messages).toHaveLength(6);
    // The SSE form is refused the same way, before any stream starts.
    const sse = await anon.client.post(`/api/v1/chats/${chat}/messages`, { content: "and again?" });
    expect(sse.status).toBe(429);
    expect(sse.headers.get("content-type")).toContain("application/json");
  });

  it("per IP: two anonymous readers behind one address share the per-minute limit", async () => {
    const ip = "203.0.113.77";
    const a = await anonymousReader(t, ip);
    const b = await anonymousReader(t, ip);
    const chatA = (await a.client.post("/api/v1/chats", {})).json.id;
    const chatB = (await b.client.post("/api/v1/chats", {})).json.id;
    expect((await ask(a.client, chatA, 1)).status).toBe(200);
    expect((await ask(a.client, chatA, 2)).status).toBe(200);
    expect((await ask(b.client, chatB, 1)).status).toBe(200);
    const denied = await ask(b.client, chatB, 2); // b's own second message, the address's fourth
    expect(denied.status).toBe(429);
    expect(denied.json.code).toBe("RATE_LIMITED");
    expect(Number(denied.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Another address is not affected.
    const c = await anonymousReader(t);
    const chatC = (await c.client.post("/api/v1/chats", {})).json.id;
    expect((await ask(c.client, chatC, 1)).status).toBe(200);
  });

  it("accounts have a daily quota: 429 CHAT_QUOTA_EXCEEDED with a Retry-After in hours", async () => {
    const account = await t.signedInUser();
    const chat = (await account.client.post("/api/v1/chats", {})).json.id;
    expect((await ask(account.client, chat, 1)).status).toBe(200);
    expect((await ask(account.client, chat, 2)).status).toBe(200);
    const denied = await ask(account.client, chat, 3);
    expect(denied.status).toBe(429);
    expect(denied.json).toMatchObject({ code: "CHAT_QUOTA_EXCEEDED", anonymous: false });
    expect(Number(denied.headers.get("retry-after"))).toBeGreaterThan(3600);
    expect((await account.client.get(`/api/v1/chats/${chat}`)).json.messages).toHaveLength(4);
  });

  it("RATE_LIMIT=off lifts the per-minute limits but not the daily quota", async () => {
    const anon = await anonymousReader(off);
    const chat = (await anon.client.post("/api/v1/chats", {})).json.id;
    for (let i = 0; i < 3; i++) expect((await ask(anon.client, chat, i)).status).toBe(200); // 3 > CHAT_MESSAGES_PER_MINUTE=1
    const denied = await ask(anon.client, chat, 4);
    expect(denied.status).toBe(429);
    expect(denied.json).toMatchObject({ code: "CHAT_QUOTA_EXCEEDED", anonymous: true });
    expect(Number(denied.headers.get("retry-after"))).toBeGreaterThan(3600);
  });
});
