/**
 * Chat answers from both providers, end to end:
 * - any OpenAI-compatible endpoint, played by a local fake server speaking the real streaming
 *   protocol (`POST /v1/chat/completions`, `text/event-stream`, `data: {...chunk}` / `data: [DONE]`),
 *   including every way it can fail, and "stop generating" (a reader closing the stream);
 * - the embedded, offline answerer over the real sample book: retrieval, citations, honesty about
 *   what the book does not say, untrusted text stored verbatim, and its latency.
 */
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anonymousReader, BASE_URL, createTestInstance, DB_KINDS, type TestClient, type TestInstance } from "../support/instance.ts";
import { NOT_IN_BOOK } from "../../src/server/chat/providers.ts";
import { loadBook } from "../../src/server/book/book.ts";
import { parseSse, type SseEvent } from "../support/sse.ts";
import { sleep } from "../support/time.ts";

const API_KEY = "test-key";

const CHAPTERS = [
  {
    slug: "anatomy-of-a-humanoid",
    title: "Anatomy of a humanoid",
    html: `<h1 id="anatomy">Anatomy of a humanoid</h1><h2 id="actuators">Actuators</h2><p>Electric motors with gearboxes drive most humanoid joints. Quasi-direct-drive actuators trade torque density for backdrivability.</p>
<h2 id="balance">Balance and the zero moment point</h2><p>A walking robot stays upright while its zero moment point remains inside the support polygon formed by its feet.</p>`,
  },
];

// ─── The fake OpenAI-compatible server ─────────────────────────────────────────────────────────

type Mode =
  | "ok" // streams `answer` in chunks, then [DONE]
  | "429"
  | "401"
  | "500"
  | "hang" // never answers, not even headers
  | "stall" // two chunks, then silence
  | "cut" // two chunks, then the socket is destroyed
  | "end-without-done" // two chunks, then a clean end without [DONE]
  | "malformed" // one chunk, then a line that is not JSON
  | "dribble"; // a chunk every 100 ms until the client goes away

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  closedEarly: boolean;
}

const ANSWER_CHUNKS = ["The zero ", "moment point ", "must stay ", "inside the ", "support polygon ", "[1]."];

function chunkLine(content: string | null, finish: string | null = null) {
  const delta = content === null ? {} : { content };
  return `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1, model: "fake-model", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

async function startFakeLlm() {
  const state = { mode: "ok" as Mode, requests: [] as SeenRequest[] };
  const server = http.createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (raw += d));
    req.on("end", () => {
      const seen: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: raw ? JSON.parse(raw) : null, closedEarly: false };
      state.requests.push(seen);
      res.on("close", () => {
        if (!res.writableFinished) seen.closedEarly = true;
      });
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
        return;
      }
      const sse = () => res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
      void (async () => {
        switch (state.mode) {
          case "ok":
            sse();
            res.write(`data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] })}\n\n`);
            for (const c of ANSWER_CHUNKS) {
              res.write(chunkLine(c));
              await sleep(3);
            }
            res.write(chunkLine(null, "stop"));
            res.end("data: [DONE]\n\n");
            return;
          case "429":
            return json(429, { error: { message: "Rate limit reached for fake-model", type: "requests", code: "rate_limit_exceeded" } }, { "retry-after": "20" });
          case "401":
            // Real providers echo (part of) the key they refused: it must never reach a reader.
            return json(401, { error: { message: `Incorrect API key provided: ${API_KEY}.`, type: "invalid_request_error", code: "invalid_api_key" } });
          case "500":
            return json(500, { error: { message: "The server had an error while processing your request.", type: "server_error" } });
          case "hang":
            return; // never a byte
          case "stall":
            sse();
            res.write(chunkLine("The zero "));
            res.write(chunkLine("moment point "));
            return; // then silence
          case "cut":
            sse();
            res.write(chunkLine("The zero "));
            res.write(chunkLine("moment point "));
            await sleep(20);
            res.socket?.destroy();
            return;
          case "end-without-done":
            sse();
            res.write(chunkLine("The zero "));
            res.write(chunkLine("moment point "));
            await sleep(20);
            res.end();
            return;
          case "malformed":
            sse();
            res.write(chunkLine("The zero "));
            await sleep(10);
            res.end('data: {"id":"chatcmpl-fake","choices":[{"delta":{"content":"oops"\n\n');
            return;
          case "dribble":
            sse();
            for (let i = 0; i < 50 && !res.destroyed && !seen.closedEarly; i++) {
              res.write(chunkLine(`piece${i} `));
              await sleep(100);
            }
            if (!res.destroyed) res.end("data: [DONE]\n\n");
            return;
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    last: () => state.requests[state.requests.length - 1]!,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type FakeLlm = Awaited<ReturnType<typeof startFakeLlm>>;


/** Every row of every table, as one string (to look for secrets). */
async function dumpDatabase(t: TestInstance): Promise<string> {
  const db = t.services.db.kysely;
  const tables =
    t.kind === "sqlite"
      ? (await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)).rows.map((r) => r.name)
      : (await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db)).rows.map((r) => r.name);
  expect(tables).toContain("message");
  let out = "";
  for (const table of tables) out += JSON.stringify((await sql`select * from ${sql.table(table)}`.execute(db)).rows);
  return out;
}

async function listen(t: TestInstance) {
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as http.Server).closeAllConnections(); // keep-alive sockets of our fetches
      }),
  };
}

/** Read a text/event-stream response incrementally, event by event. */
async function* sseEvents(res: Response): AsyncGenerator<SseEvent> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.trim()) yield parseSse(block + "\n\n")[0]!;
    }
  }
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ─── OpenAI-compatible provider ────────────────────────────────────────────────────────────────

describe.each(DB_KINDS)("OpenAI-compatible provider on %s", (kind) => {
  let t: TestInstance;
  let llm: FakeLlm;
  const bodies: string[] = [];

  beforeAll(async () => {
    llm = await startFakeLlm();
    t = await createTestInstance(kind, {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: llm.baseUrl,
      OPENAI_MODEL: "fake-model",
      OPENAI_TIMEOUT_MS: "400",
      CHAT_ANONYMOUS_DAILY_MESSAGES: "1000",
      CHAT_MESSAGES_PER_MINUTE: "1000",
    });
    t.services.indexBook(CHAPTERS);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });
  beforeEach(() => {
    llm.state.mode = "ok";
  });

  async function ask(reader: TestClient, chatId: string, content: string, accept?: string) {
    const res = await reader.post(`/api/v1/chats/${chatId}/messages`, { content }, accept ? { headers: { accept } } : {});
    bodies.push(res.text);
    expect(res.status, res.text).not.toBe(500);
    return res;
  }

  it("streams the provider's tokens in order as `token` events and stores the answer with the retrieved citations", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    const question = "How does a walking robot keep its balance?";
    const res = await ask(reader, chat.json.id, question);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(res.text);
    expect(events.map((e) => e.event)).toEqual(["message", ...ANSWER_CHUNKS.map(() => "token"), "done"]);
    expect(events.filter((e) => e.event === "token").map((e) => e.data.text)).toEqual(ANSWER_CHUNKS);
    const done = events.at(-1)!.data.assistantMessage;
    expect(done).toMatchObject({ role: "assistant", status: "complete", errorCode: null, content: ANSWER_CHUNKS.join("") });
    expect(done.citations[0]).toEqual({
      chapterSlug: "anatomy-of-a-humanoid",
      chapterTitle: "Anatomy of a humanoid",
      sectionId: "balance",
      sectionTitle: "Balance and the zero moment point",
      url: "/read/anatomy-of-a-humanoid#balance",
    });

    // What the provider was sent: our key, the model, a stream, the passages, the question last.
    const sent = llm.last();
    expect(sent.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body).toMatchObject({ model: "fake-model", stream: true });
    const messages = sent.body.messages as { role: string; content: string }[];
    expect(messages[0]!.role).toBe("system");
    expect(messages[0]!.content).toContain("support polygon formed by its feet");
    expect(messages[0]!.content).toContain("[1] Anatomy of a humanoid — Balance and the zero moment point");
    expect(messages.at(-1)).toEqual({ role: "user", content: question });
    // Regression: the question was sent twice (once from the stored history, once as the new turn).
    expect(messages.filter((m) => m.content === question)).toHaveLength(1);

    const stored = await reader.get(`/api/v1/chats/${chat.json.id}`);
    expect(stored.json.messages.map((m: { role: string; status: string; content: string }) => [m.role, m.status, m.content])).toEqual([
      ["user", "complete", question],
      ["assistant", "complete", ANSWER_CHUNKS.join("")],
    ]);
    expect(stored.json.messages[1].citations).toEqual(done.citations);
  });

  it("sends the earlier turns of the chat as history, each once, before the new question", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    await ask(reader, chat.json.id, "What drives humanoid joints?", "application/json");
    const res = await ask(reader, chat.json.id, "And what keeps them upright?", "application/json");
    expect(res.status).toBe(200);
    const messages = llm.last().body.messages as { role: string; content: string }[];
    // Regression (as above): the new question also came through the history, so it was sent twice.
    expect(messages.slice(1)).toEqual([
      { role: "user", content: "What drives humanoid joints?" },
      { role: "assistant", content: ANSWER_CHUNKS.join("") },
      { role: "user", content: "And what keeps them upright?" },
    ]);
  });

  const failures: { mode: Mode; code: string; partial: string }[] = [
    { mode: "429", code: "PROVIDER_RATE_LIMITED", partial: "" },
    { mode: "401", code: "PROVIDER_REJECTED", partial: "" },
    { mode: "500", code: "PROVIDER_UNAVAILABLE", partial: "" },
    { mode: "hang", code: "PROVIDER_TIMEOUT", partial: "" },
    // Regression: the timeout covered the first byte only, so a provider going silent mid-answer held the reader 120 s.
    { mode: "stall", code: "PROVIDER_TIMEOUT", partial: "The zero moment point " },
    { mode: "cut", code: "PROVIDER_UNAVAILABLE", partial: "The zero moment point " },
    // Regression: a stream that ended without [DONE] (or a finish_reason) was stored as a complete answer.
    { mode: "end-without-done", code: "PROVIDER_UNAVAILABLE", partial: "The zero moment point " },
    { mode: "malformed", code: "PROVIDER_BAD_RESPONSE", partial: "The zero " },
  ];

  it.each(failures)("provider $mode → a clear `error` event, the question kept, the answer stored as error $code", async ({ mode, code, partial }) => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    llm.state.mode = mode;
    const question = `Question while the provider does ${mode}: what is the zero moment point?`;
    const started = Date.now();
    const res = await ask(reader, chat.json.id, question);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = parseSse(res.text);
    expect(events[0]!.event).toBe("message");
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data.code).toBe(code);
    expect(last.data.message).toMatch(/\w{3,}.*\./);
    expect(last.data.message).not.toContain(API_KEY);
    expect(last.data.assistantMessage).toMatchObject({ role: "assistant", status: "error", errorCode: code, content: partial });
    expect(events.filter((e) => e.event === "token").map((e) => e.data.text).join("")).toBe(partial);

    const stored = (await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages;
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ role: "user", status: "complete", content: question });
    expect(stored[1]).toMatchObject({ role: "assistant", status: "error", errorCode: code, content: partial });

    // The same failure as JSON: 502 with the code, never a 500.
    const json = await ask(reader, chat.json.id, question, "application/json");
    expect(json.status).toBe(502);
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(json.json).toMatchObject({ code, userMessage: { role: "user", status: "complete", content: question } });
    expect(json.json.assistantMessage).toMatchObject({ status: "error", errorCode: code });
    expect(json.text).not.toContain(API_KEY);
    const after = (await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages;
    expect(after.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "error"],
      ["user", "complete"],
      ["assistant", "error"],
    ]);
  });

  it("a failed answer can be retried: the error is replaced by one complete answer", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    llm.state.mode = "429";
    const failed = await ask(reader, chat.json.id, "What is the zero moment point?", "application/json");
    expect(failed.status).toBe(502);
    llm.state.mode = "ok";
    const retried = await reader.post(`/api/v1/chats/${chat.json.id}/messages/${failed.json.assistantMessage.id}/retry`, undefined, {
      headers: { accept: "application/json" },
    });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json.assistantMessage).toMatchObject({ status: "complete", content: ANSWER_CHUNKS.join("") });
    const stored = (await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages;
    expect(stored.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    // The retried question, too, is sent once.
    expect((llm.last().body.messages as { content: string }[]).filter((m) => m.content === "What is the zero moment point?")).toHaveLength(1);
  });

  it("stop generating: closing the stream stores the partial answer as interrupted; retry replaces it; a complete answer is not retried", async () => {
    const server = await listen(t);
    try {
      const reader = (await anonymousReader(t)).client;
      const chat = await reader.post("/api/v1/chats", {});
      llm.state.mode = "dribble";
      const requestsBefore = llm.state.requests.length;
      const abort = new AbortController();
      const res = await fetch(`${server.url}/api/v1/chats/${chat.json.id}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: BASE_URL, cookie: reader.cookieHeader() },
        body: JSON.stringify({ content: "Tell me everything about actuators." }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      const received: string[] = [];
      let userMessage: any;
      for await (const e of sseEvents(res)) {
        if (e.event === "message") userMessage = e.data;
        if (e.event === "token") received.push(e.data.text);
        if (received.length === 3) {
          abort.abort(); // the reader presses "stop": the connection closes
          break;
        }
      }
      expect(received).toEqual(["piece0 ", "piece1 ", "piece2 "]);
      expect(userMessage).toMatchObject({ role: "user", status: "complete" });

      const stopped = await waitFor(async () => {
        const messages = (await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages;
        return messages[1]?.status !== "streaming" ? messages : undefined;
      });
      expect(stopped).toHaveLength(2);
      expect(stopped[0]).toMatchObject({ role: "user", status: "complete", content: "Tell me everything about actuators." });
      expect(stopped[1]).toMatchObject({ role: "assistant", status: "interrupted", errorCode: "INTERRUPTED" });
      // The partial answer is kept: at least what the reader saw, and only a prefix of what was coming.
      expect(stopped[1].content.startsWith(received.join(""))).toBe(true);
      expect(stopped[1].content).toMatch(/^(piece\d+ )+$/);
      expect(stopped[1].content.split(" ").length - 1).toBeLessThan(10);
      // And the provider's request was cancelled too: no tokens paid for nobody.
      expect(llm.state.requests.length).toBe(requestsBefore + 1);
      await waitFor(async () => (llm.last().closedEarly ? true : undefined));

      llm.state.mode = "ok";
      const retry = await reader.post(`/api/v1/chats/${chat.json.id}/messages/${stopped[1].id}/retry`);
      expect(retry.status).toBe(200);
      const events = parseSse(retry.text);
      expect(events.at(-1)!.event).toBe("done");
      expect(events.at(-1)!.data.assistantMessage).toMatchObject({ status: "complete", content: ANSWER_CHUNKS.join("") });
      const after = (await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages;
      expect(after.map((m: { role: string; status: string }) => [m.role, m.status])).toEqual([
        ["user", "complete"],
        ["assistant", "complete"],
      ]);

      // A complete answer, the reader's own message, and the replaced answer: nothing to retry.
      for (const id of [after[1].id, after[0].id, stopped[1].id]) {
        const again = await reader.post(`/api/v1/chats/${chat.json.id}/messages/${id}/retry`);
        expect(again.status).toBe(409);
        expect(again.json.code).toBe("NOTHING_TO_RETRY");
      }
      expect((await reader.get(`/api/v1/chats/${chat.json.id}`)).json.messages).toEqual(after);
    } finally {
      await server.close();
    }
  });

  it("never shows or stores the OpenAI API key", async () => {
    for (const body of bodies) expect(body).not.toContain(API_KEY);
    expect(bodies.length).toBeGreaterThan(10);
    expect(await dumpDatabase(t)).not.toContain(API_KEY);
  });
});

// ─── Embedded answerer on the sample book ──────────────────────────────────────────────────────

const BOOK_DIR = path.resolve(import.meta.dirname, "../../content/book");
// The sample book ships with the project: its absence is a failure, not a reason to skip.
const sampleBook = await loadBook(BOOK_DIR);

/** Questions a reader of the sample book asks, and the section that answers each. */
const BOOK_QUESTIONS: [string, string][] = [
  ["What is the zero moment point?", "/read/anatomy-of-a-humanoid#the-zero-moment-point"],
  ["What is a series elastic actuator?", "/read/anatomy-of-a-humanoid#series-elastic-actuators"],
  ["How does domain randomization help cross the reality gap?", "/read/what-is-physical-ai#from-simulation-to-reality"],
  ["Which safety standards apply to humanoid robots?", "/read/safety-ethics-and-the-road-ahead#standards-and-regulation"],
  ["What is imitation learning?", "/read/learning-to-move#imitation-learning"],
  ["What is a VLA model?", "/read/learning-to-move#foundation-models-and-vlas"],
  ["How many degrees of freedom does a humanoid have?", "/read/anatomy-of-a-humanoid#degrees-of-freedom"],
  ["What happens when you switch off a humanoid robot?", "/read/safety-ethics-and-the-road-ahead#a-robot-that-falls-when-you-switch-it-off"],
  ["How does reinforcement learning train a walking policy?", "/read/learning-to-move#reinforcement-learning"],
  ["What is embodiment?", "/read/what-is-physical-ai#embodiment"],
];

describe.each(DB_KINDS)("embedded answerer on the sample book on %s", (kind) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance(kind, { CHAT_ANONYMOUS_DAILY_MESSAGES: "1000", CHAT_MESSAGES_PER_MINUTE: "1000" });
    expect(sampleBook.chapters.length).toBeGreaterThan(0);
    t.services.indexBook([...sampleBook.chapters]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("answers questions about the book with citations to the right /read/<slug>#<section>", async () => {
    const slugs = new Set(sampleBook!.chapters.map((c) => c.slug));
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    for (const [question, url] of BOOK_QUESTIONS) {
      const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question }, { headers: { accept: "application/json" } });
      expect(res.status, question).toBe(200);
      const answer = res.json.assistantMessage;
      expect(answer.status).toBe("complete");
      expect(answer.content, question).not.toBe(NOT_IN_BOOK);
      expect(answer.citations[0]?.url, question).toBe(url);
      for (const c of answer.citations) {
        expect(c.url).toMatch(/^\/read\/[a-z0-9-]+(#[a-z0-9-]+)?$/);
        expect(slugs.has(c.chapterSlug)).toBe(true);
        expect(c.url.startsWith(`/read/${c.chapterSlug}`)).toBe(true);
      }
      expect(answer.content).toMatch(/\[1\]/);
      // Regression (issue 14, item 7): an answer quoted every passage whole, thousands of characters.
      expect(answer.content.length, question).toBeLessThan(1200);
    }
  });

  // Regression: "what", "is", "the"… were indexed, so any question matched some passage and got an invented answer.
  it("says the book does not say for questions it does not cover", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    for (const question of ["qwxzv blorf zzyzx", "What is the best cheese for a raclette?", "What is the capital of France?", "Is Tesla Optimus in the book?"]) {
      const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question }, { headers: { accept: "application/json" } });
      expect(res.status).toBe(200);
      expect(res.json.assistantMessage.content, question).toBe(NOT_IN_BOOK);
      expect(res.json.assistantMessage.citations, question).toEqual([]);
    }
  });

  it("stores untrusted text verbatim and only ever answers JSON or an event stream, never HTML", async () => {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    for (const question of [
      "<script>alert(1)</script> What is the zero moment point?",
      'What is embodiment? <img src=x onerror=alert(1)> "quoted" & \'single\' </textarea>',
    ]) {
      const json = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question }, { headers: { accept: "application/json" } });
      expect(json.status).toBe(200);
      expect(json.headers.get("content-type")).toMatch(/^application\/json/);
      expect(json.headers.get("x-content-type-options")).toBe("nosniff");
      expect(json.json.userMessage.content).toBe(question);
      const stream = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question });
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
      expect(stream.headers.get("x-content-type-options")).toBe("nosniff");
      expect(parseSse(stream.text)[0]!.data.content).toBe(question);
    }
    const stored = await reader.get(`/api/v1/chats/${chat.json.id}`);
    expect(stored.headers.get("content-type")).toMatch(/^application\/json/);
    expect(stored.json.title).toBe("<script>alert(1)</script> What is the zero moment point?");
    const users = stored.json.messages.filter((m: { role: string }) => m.role === "user").map((m: { content: string }) => m.content);
    expect(users).toEqual([
      "<script>alert(1)</script> What is the zero moment point?",
      "<script>alert(1)</script> What is the zero moment point?",
      'What is embodiment? <img src=x onerror=alert(1)> "quoted" & \'single\' </textarea>',
      'What is embodiment? <img src=x onerror=alert(1)> "quoted" & \'single\' </textarea>',
    ]);
    // Answers are plain text / Markdown: no markup of ours, and nothing of the question echoed as HTML.
    for (const m of stored.json.messages.filter((x: { role: string }) => x.role === "assistant")) {
      expect(m.content).not.toMatch(/<[a-z/!]/i);
    }
    const list = await reader.get("/api/v1/chats");
    expect(list.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("latency: time to first token and to the whole answer over a real socket", async () => {
    const server = await listen(t);
    try {
      const reader = (await anonymousReader(t)).client;
      const chat = await reader.post("/api/v1/chats", {});
      const questions = [...BOOK_QUESTIONS.map(([q]) => q), ...BOOK_QUESTIONS.map(([q]) => `Explain: ${q.toLowerCase()}`)];
      const first: number[] = [];
      const total: number[] = [];
      for (const question of questions) {
        const started = performance.now();
        const res = await fetch(`${server.url}/api/v1/chats/${chat.json.id}/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: BASE_URL, cookie: reader.cookieHeader() },
          body: JSON.stringify({ content: question }),
        });
        expect(res.status).toBe(200);
        let firstAt = 0;
        let last = "";
        for await (const e of sseEvents(res)) {
          if (e.event === "token" && !firstAt) firstAt = performance.now();
          last = e.event;
        }
        expect(last).toBe("done");
        first.push(firstAt - started);
        total.push(performance.now() - started);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
      console.log(
        `[chat latency, embedded, ${kind}, ${questions.length} questions] first token: median ${median(first).toFixed(1)} ms, p90 ${p90(first).toFixed(1)} ms; ` +
          `whole answer: median ${median(total).toFixed(1)} ms, p90 ${p90(total).toFixed(1)} ms`,
      );
      // Reported, not asserted: speed is measured (npm run bench), never a pass/fail in a test.
      expect(first.every((ms) => ms > 0 && ms <= total[first.indexOf(ms)]!)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
