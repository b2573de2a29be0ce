/**
 * The embedded answerer on a code-heavy page of the Docusaurus fixture (issue 14, item 7), through
 * the chat API: the stored answer leads with the sentence that says what the thing is, quotes at
 * most one code block, fenced with its language and its lines, and stays short.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anonymousReader, createTestInstance, type TestInstance } from "../support/instance.ts";

const SITE = path.resolve(import.meta.dirname, "../fixtures/docusaurus-site");

describe("embedded answers on the Docusaurus fixture", () => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("sqlite", { BOOK_DIR: SITE, CHAT_ANONYMOUS_DAILY_MESSAGES: "100" });
  });
  afterAll(() => t?.close());

  async function ask(question: string) {
    const reader = (await anonymousReader(t)).client;
    const chat = await reader.post("/api/v1/chats", {});
    const res = await reader.post(`/api/v1/chats/${chat.json.id}/messages`, { content: question }, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    const stored = await reader.get(`/api/v1/chats/${chat.json.id}`);
    const answer = stored.json.messages.find((m: { role: string }) => m.role === "assistant");
    expect(answer.status).toBe("complete");
    return answer as { content: string; citations: { url: string }[] };
  }

  it("answers what a thing is with the book's defining sentence, no code and no wall", async () => {
    const answer = await ask("What is a watering routine?");
    expect(answer.citations[0]!.url).toBe("/read/reference/programming#a-first-watering-routine");
    expect(answer.content.startsWith("A watering routine is a function that opens the pump of one row")).toBe(true);
    expect(answer.content).not.toContain("```");
    expect(answer.content).not.toContain("in C++:");
    expect(answer.content.length).toBeLessThan(800);
  });

  it("answers a how-to question with prose first, then one fenced block with its language and lines", async () => {
    const answer = await ask("How do I install the garden tools?");
    expect(answer.citations[0]!.url).toBe("/read/reference/programming#installing-the-tools");
    const fence = answer.content.indexOf("```");
    expect(fence).toBeGreaterThan(0);
    expect(answer.content.slice(0, fence)).toMatch(/Plug the robot in before you install anything/);
    expect(answer.content).toContain("```bash\nsudo apt install garden-tools\ngarden --version\n```");
    expect(answer.content.match(/^```/gm)).toHaveLength(2);
    // No highlighting markup, no diagram source, no formula twice.
    expect(answer.content).not.toMatch(/<span|token|graph LR/);
    expect(answer.content.length).toBeLessThan(800);
  });
});
