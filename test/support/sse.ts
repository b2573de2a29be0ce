/** A server-sent event as the chat API writes it: `event: name` and one JSON `data:` line. */
export type SseEvent = { event: string; data: any };

/** Parse a whole text/event-stream body into events. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      return { event, data: data ? JSON.parse(data) : null };
    });
}
