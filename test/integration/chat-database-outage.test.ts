/**
 * Regression (found by `npm run test:load`, PostgreSQL restarted under load): when the database
 * went away while an answer was being written, the event stream ended with no `done` or `error`
 * event and the answer stayed "streaming" for good — no reader could retry it, and the process
 * that owned it never treats its own rows as orphans. Now the reader is told (503, or an `error`
 * event) and the answer is stored as soon as the database answers again.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatStore } from "../../src/server/chat/chat-store.ts";
import { createTestInstance, type TestClient, type TestInstance } from "../support/instance.ts";
import { parseSse } from "../support/sse.ts";
import { sleep } from "../support/time.ts";

/** What node-postgres throws when PostgreSQL shuts down under it. */
const terminated = () => Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });

describe("an answer whose database goes away mid-answer", () => {
  let t: TestInstance;
  let reader: TestClient;
  let store: ChatStore;

  beforeAll(async () => {
    t = await createTestInstance("sqlite");
    store = t.services.chats;
    reader = t.client();
    expect((await reader.post("/api/auth/sign-in/anonymous", {})).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The database fails `times` calls of `method`, then is back. */
  function outage(method: "finishAnswer" | "history", times: number) {
    const real = store[method] as (...args: unknown[]) => Promise<unknown>;
    let left = times;
    (store as Record<string, unknown>)[method] = (...args: unknown[]) => (left-- > 0 ? Promise.reject(terminated()) : real(...args));
    return () => void ((store as Record<string, unknown>)[method] = real);
  }

  async function assistantOf(chatId: string) {
    const chat = await reader.get(`/api/v1/chats/${chatId}`);
    return (chat.json.messages as { id: string; role: string; status: string; content: string }[]).find((m) => m.role === "assistant")!;
  }

  async function settled(chatId: string) {
    for (let i = 0; i < 50; i++) {
      const a = await assistantOf(chatId);
      if (a.status !== "streaming") return a;
      await sleep(100);
    }
    return assistantOf(chatId);
  }

  it("streaming: an `error` event (SERVICE_UNAVAILABLE), never a stream that just stops; the answer is stored once the database is back", async () => {
    const chat = await reader.post("/api/v1/chats", {});
    const restore = outage("finishAnswer", 2);
    try {
      const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "How do humanoid robots keep their balance?" });
      expect(res.status).toBe(200);
      const events = parseSse(res.text);
      expect(events.at(0)!.event).toBe("message");
      expect(events.at(-1)).toEqual({ event: "error", data: { code: "SERVICE_UNAVAILABLE", message: expect.any(String) } });
      const answer = await settled(chat.json.id);
      expect(answer.status).toBe("complete");
      expect(answer.content).toBe(events.filter((e) => e.event === "token").map((e) => e.data.text).join(""));
    } finally {
      restore();
    }
  });

  it("as JSON: 503 with Retry-After, and the answer is stored once the database is back", async () => {
    const chat = await reader.post("/api/v1/chats", {});
    const restore = outage("finishAnswer", 1);
    try {
      const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "What is physical AI?" }, { headers: { accept: "application/json" } });
      expect(res.status).toBe(503);
      expect(res.json.code).toBe("SERVICE_UNAVAILABLE");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await settled(chat.json.id)).status).toBe("complete");
    } finally {
      restore();
    }
  });

  it("before the answer began: 503, and the answer becomes 'interrupted', which the reader can retry", async () => {
    const chat = await reader.post("/api/v1/chats", {});
    const restore = outage("history", 1);
    try {
      const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: "Which sensors does a humanoid use?" });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      restore();
    }
    const answer = await settled(chat.json.id);
    expect(answer.status).toBe("interrupted");
    const retried = await reader.post(`/api/v1/chats/${chat.json.id}/messages/${answer.id}/retry`, {}, { headers: { accept: "application/json" } });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json.assistantMessage.status).toBe("complete");
  });
});
