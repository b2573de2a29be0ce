import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anonymousReader, createTestInstance, DB_KINDS, STRONG_PASSWORD, uniqueEmail, type TestClient, type TestInstance } from "../support/instance.ts";
import { NOT_IN_BOOK } from "../../src/server/chat/providers.ts";
import { parseSse } from "../support/sse.ts";

const CHAPTERS = [
  {
    slug: "what-is-physical-ai",
    title: "What is physical AI",
    html: `<h1 id="what-is-physical-ai">What is physical AI</h1><p>Physical AI is intelligence that acts in the world through a body.</p>
<h2 id="the-perception-action-loop">The perception–action loop</h2><p>A robot senses, decides and acts in a loop that runs many times a second. Sensors feed estimates of the world; the controller turns them into motor commands.</p>
<h2 id="sim-to-real">Sim-to-real</h2><p>Policies trained in simulation must cross the reality gap. Domain randomization varies friction, mass and lighting so that the real world looks like one more variation.</p>`,
  },
  {
    slug: "anatomy-of-a-humanoid",
    title: "Anatomy of a humanoid",
    html: `<h1 id="anatomy">Anatomy of a humanoid</h1><h2 id="actuators">Actuators</h2><p>Electric motors with gearboxes drive most humanoid joints. Quasi-direct-drive actuators trade torque density for backdrivability.</p>
<h2 id="balance">Balance and the zero moment point</h2><p>A walking robot stays upright while its zero moment point remains inside the support polygon formed by its feet.</p>`,
  },
];


describe.each(DB_KINDS)("chat on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { CHAT_ANONYMOUS_DAILY_MESSAGES: "5" });
    t.services.indexBook(CHAPTERS);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("streams an answer with citations as server-sent events and stores both messages", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    expect(chat.status).toBe(201);
    const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "How do robots keep their balance when walking?" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(res.text);
    expect(events[0]!.event).toBe("message");
    expect(events[0]!.data.role).toBe("user");
    const tokens = events.filter((e) => e.event === "token");
    expect(tokens.length).toBeGreaterThan(1);
    const done = events[events.length - 1]!;
    expect(done.event).toBe("done");
    expect(done.data.assistantMessage.content).toBe(tokens.map((e) => e.data.text).join(""));
    expect(done.data.assistantMessage.content).toMatch(/zero moment point/i);
    expect(done.data.assistantMessage.citations[0]).toMatchObject({ chapterSlug: "anatomy-of-a-humanoid", url: "/read/anatomy-of-a-humanoid#balance" });

    const stored = await reader.get(`/api/v1/chats/${chat.json.id}`);
    expect(stored.json.messages.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    expect(stored.json.title).toBe("How do robots keep their balance when walking?");
  });

  it("answers as JSON on request, and says honestly when the book does not cover a question", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", { title: "Cooking" });
    const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "Quel est le meilleur fromage pour une raclette?" }, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(res.json.assistantMessage.content).toBe(NOT_IN_BOOK);
    expect(res.json.assistantMessage.citations).toEqual([]);
  });

  it("ASVS 8.2.2: another reader's chat is 404 on every route, for cookies and bearer tokens", async () => {
    const owner = await t.signedInUser();
    const chat = await owner.client.post("/api/v1/chats", { title: "Mine" });
    const other = await t.signedInUser();
    const token = await other.client.post("/api/v1/auth/token", { grant_type: "password", email: other.email, password: STRONG_PASSWORD });
    const bearer = { headers: { authorization: `Bearer ${token.json.access_token}` } };
    const id = chat.json.id;
    for (const opts of [{}, bearer]) {
      expect((await other.client.get(`/api/v1/chats/${id}`, opts)).status).toBe(404);
      expect((await other.client.patch(`/api/v1/chats/${id}`, { title: "x" }, opts)).status).toBe(404);
      expect((await other.client.request("DELETE", `/api/v1/chats/${id}`, undefined, opts)).status).toBe(404);
      const post = await other.client.post(`/api/v1/chats/${id}/messages`, { content: "hi" }, opts);
      expect(post.status).toBe(404);
      expect(post.json.code).toBe("CHAT_NOT_FOUND");
    }
    expect((await owner.client.get(`/api/v1/chats/${id}`)).json.title).toBe("Mine");
  });

  it("lists chats newest first with a cursor, renames and deletes", async () => {
    const { client } = await t.signedInUser();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.post("/api/v1/chats", { title: `Chat ${i}` })).json.id);
    const first = await client.get("/api/v1/chats?limit=2");
    expect(first.json.chats.map((c: { title: string }) => c.title)).toEqual(["Chat 4", "Chat 3"]);
    const second = await client.get(`/api/v1/chats?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.chats.map((c: { title: string }) => c.title)).toEqual(["Chat 2", "Chat 1"]);
    const third = await client.get(`/api/v1/chats?limit=2&cursor=${second.json.nextCursor}`);
    expect(third.json.chats.map((c: { title: string }) => c.title)).toEqual(["Chat 0"]);
    expect(third.json.nextCursor).toBeNull();
    expect((await client.get("/api/v1/chats?cursor=garbage")).json.code).toBe("INVALID_CURSOR");
    expect((await client.patch(`/api/v1/chats/${ids[0]}`, { title: "Renamed" })).json.title).toBe("Renamed");
    expect((await client.request("DELETE", `/api/v1/chats/${ids[1]}`)).status).toBe(204);
    expect((await client.get(`/api/v1/chats/${ids[1]}`)).status).toBe(404);
  });

  it("a long chat opens on its latest 50 messages; earlierCursor pages back to the first, in order", async () => {
    const { client } = await t.signedInUser();
    const chat = (await client.post("/api/v1/chats", { title: "Long" })).json.id as string;
    // 120 messages with some sharing a timestamp (the cursor breaks ties by id).
    const base = Date.now() - 1_000_000;
    const rows = Array.from({ length: 120 }, (_, i) => ({
      id: `m-${String(i).padStart(3, "0")}-${Math.random().toString(36).slice(2, 8)}`,
      chat_id: chat,
      role: i % 2 ? "assistant" : "user",
      content: `message ${i}`,
      citations: null,
      status: "complete",
      error_code: null,
      created_at: base + Math.floor(i / 3) * 10,
      stream_owner: null,
    }));
    await t.services.db.kysely.insertInto("message").values(rows as never).execute();

    const contents = (page: { json: { messages: { content: string }[] } }) => page.json.messages.map((m) => m.content);
    const first = await client.get(`/api/v1/chats/${chat}`);
    expect(first.status).toBe(200);
    expect(contents(first)).toEqual(rows.slice(70).map((r) => r.content));
    expect(first.json.earlierCursor).toEqual(expect.any(String));
    const second = await client.get(`/api/v1/chats/${chat}?before=${first.json.earlierCursor}`);
    expect(contents(second)).toEqual(rows.slice(20, 70).map((r) => r.content));
    const third = await client.get(`/api/v1/chats/${chat}?before=${second.json.earlierCursor}`);
    expect(contents(third)).toEqual(rows.slice(0, 20).map((r) => r.content));
    expect(third.json.earlierCursor).toBeNull();
    const small = await client.get(`/api/v1/chats/${chat}?limit=7`);
    expect(contents(small)).toEqual(rows.slice(113).map((r) => r.content));

    expect((await client.get(`/api/v1/chats/${chat}?before=garbage`)).json.code).toBe("INVALID_CURSOR");
    expect((await client.get(`/api/v1/chats/${chat}?limit=1000`)).json.code).toBe("VALIDATION_FAILED");
    // Another reader's chat stays 404 whatever the cursor.
    const other = await t.signedInUser();
    expect((await other.client.get(`/api/v1/chats/${chat}?before=${first.json.earlierCursor}`)).status).toBe(404);
  });

  it("caps message length and refuses empty messages with clear codes", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    const long = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "x".repeat(4001) });
    expect(long.status).toBe(400);
    expect(long.json.code).toBe("MESSAGE_TOO_LONG");
    expect((await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "   " })).json.code).toBe("MESSAGE_EMPTY");
    expect((await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages).toEqual([]);
  });

  it("gives anonymous readers a smaller daily quota, with Retry-After and a prompt to sign up", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    for (let i = 0; i < 5; i++) {
      const ok = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: `question ${i} about actuators` }, { headers: { accept: "application/json" } });
      expect(ok.status).toBe(200);
    }
    const denied = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "one more" });
    expect(denied.status).toBe(429);
    expect(denied.json.code).toBe("CHAT_QUOTA_EXCEEDED");
    expect(denied.json.anonymous).toBe(true);
    expect(Number(denied.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("moves an anonymous reader's chats into the account signed into from the same browser, then kills the anonymous session", async () => {
    const existing = await t.signedInUser();
    const reader = (await anonymousReader(t)).client;
    const anonCookie = reader.cookieHeader();
    const chat = await reader.post("/api/v1/chats", { title: "Before signing in" });
    const anonId = (await reader.get("/api/v1/me")).json.id;
    const signIn = await reader.post("/api/auth/sign-in/email", { email: existing.email, password: STRONG_PASSWORD });
    expect(signIn.status).toBe(200);
    const list = await reader.get("/api/v1/chats");
    expect(list.json.chats.map((c: { id: string }) => c.id)).toContain(chat.json.id);
    // ASVS 7.2.4: the anonymous session token is dead after sign-in.
    expect((await t.client().get("/api/v1/me", { headers: { cookie: anonCookie } })).status).toBe(401);
    const anonRow = await t.services.db.kysely.selectFrom("user").select("id").where("id", "=", anonId).executeTakeFirst();
    expect(anonRow).toBeUndefined();
  });

  it("moves the chats when the verification link is opened on another device, exactly once", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", { title: "Guest chat" });
    await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "What is sim-to-real?" }, { headers: { accept: "application/json" } });
    const email = uniqueEmail("guest");
    const since = Date.now();
    expect((await reader.post("/api/auth/sign-up/email", { name: "Guest Reader", email, password: STRONG_PASSWORD })).status).toBe(200);
    const mail = await t.mail.waitFor(email, { subject: /verify/i, since });
    const phone = t.client(); // another device: no anonymous cookie; the link verifies, then the reader signs in
    expect((await phone.get(t.mail.linkFrom(mail, "/api/auth/verify-email"))).status).toBe(302);
    expect((await phone.post("/api/auth/sign-in/email", { email, password: STRONG_PASSWORD })).status).toBe(200);
    const chats = await phone.get("/api/v1/chats");
    expect(chats.json.chats.map((c: { title: string }) => c.title)).toEqual(["Guest chat"]);
    const full = await phone.get(`/api/v1/chats/${chat.json.id}`);
    expect(full.json.messages).toHaveLength(2);
    // Running the retry job again changes nothing: no duplicates.
    await t.services.runMaintenance();
    expect((await phone.get("/api/v1/chats")).json.chats).toHaveLength(1);
  });
});
