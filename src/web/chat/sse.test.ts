import { describe, expect, it } from "vitest";
import { createSseParser, readEvents } from "./sse.ts";

describe("SSE parsing (HTML standard §9.2.6)", () => {
  it("splits events on blank lines, joins data lines, defaults the event name to message", () => {
    const p = createSseParser();
    expect(p.push('event: token\ndata: {"text":"Hel"}\n\ndata: a\ndata: b\n\n')).toEqual([
      { event: "token", data: '{"text":"Hel"}' },
      { event: "message", data: "a\nb" },
    ]);
  });

  it("keeps an event split across chunks (even inside a CRLF) until its blank line", () => {
    const p = createSseParser();
    expect(p.push("event: do")).toEqual([]);
    expect(p.push("ne\r")).toEqual([]);
    expect(p.push("\ndata: {}\r\n\r")).toEqual([{ event: "done", data: "{}" }]);
    expect(p.push("\ndata: next\n\n")).toEqual([{ event: "message", data: "next" }]);
  });

  it("ignores comments, id and retry; strips one space after the colon only", () => {
    const p = createSseParser();
    expect(p.push(": keep-alive\nid: 7\nretry: 10\ndata:  two spaces\n\n")).toEqual([{ event: "message", data: " two spaces" }]);
  });

  it("drops an event the stream ended before finishing", async () => {
    const bytes = new TextEncoder().encode('event: token\ndata: {"text":"a"}\n\nevent: token\ndata: {"text":"b"}');
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, 10));
        c.enqueue(bytes.slice(10));
        c.close();
      },
    });
    const events = [];
    for await (const ev of readEvents(body)) events.push(ev);
    expect(events).toEqual([{ event: "token", data: '{"text":"a"}' }]);
  });
});
