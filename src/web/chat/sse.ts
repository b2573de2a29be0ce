/**
 * A server-sent events reader for a fetch() body. EventSource can only GET, and our answers come
 * from a POST, so the stream is parsed here by the rules of the HTML standard ("Parsing an event
 * stream", §9.2.6): lines end in CRLF, LF or CR; `data` lines join with "\n"; a blank line ends an
 * event; lines starting with ":" are comments.
 *
 *   for await (const ev of readEvents(res.body!)) if (ev.event === "token") append(JSON.parse(ev.data).text);
 */
export interface SseEvent {
  event: string;
  data: string;
}

/** Feed text chunks in, get whole events out; `flush()` at the end of the stream. */
export function createSseParser() {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let sawCR = false;

  function line(text: string, out: SseEvent[]) {
    if (text === "") {
      if (data.length > 0) out.push({ event: event || "message", data: data.join("\n") });
      event = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    // `id` and `retry` matter only to EventSource's reconnection, which a POST never does.
  }

  return {
    push(chunk: string): SseEvent[] {
      const out: SseEvent[] = [];
      let text = chunk;
      // A CRLF split across two chunks: the LF belongs to the CR already handled.
      if (sawCR && text.startsWith("\n")) text = text.slice(1);
      sawCR = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch !== "\n" && ch !== "\r") continue;
        line(buffer.slice(start, i), out);
        if (ch === "\r") {
          if (i + 1 === buffer.length) sawCR = true;
          else if (buffer[i + 1] === "\n") i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
      return out;
    },
    /** The stream ended: an event without its final blank line is dropped, as the standard says. */
    flush(): void {
      buffer = "";
      event = "";
      data = [];
    },
  };
}

/** Every event of an SSE body, in order, as it arrives. */
export async function* readEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  const parser = createSseParser();
  const cancel = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) yield ev;
    }
    finished = true;
    parser.flush();
  } finally {
    signal?.removeEventListener("abort", cancel);
    // The caller stopped early (or a read failed): close the connection, the server stops answering.
    if (!finished) cancel();
    reader.releaseLock();
  }
}
