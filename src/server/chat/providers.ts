import { markdownWithin } from "./blocks.ts";
import { composeAnswer } from "./embedded-answer.ts";
import type { Passage } from "./retrieval.ts";

/**
 * Where answers come from. Two implementations: the embedded, offline answerer that composes
 * from the book's own passages, and any OpenAI-compatible chat-completions endpoint.
 */
export interface AnswerRequest {
  question: string;
  history: { role: "user" | "assistant"; content: string }[];
  passages: Passage[];
  signal: AbortSignal;
}

export interface AnswerProvider {
  name: string;
  /** Yields text chunks as they are produced. Throws ProviderError for failures a reader should see. */
  answer(request: AnswerRequest): AsyncIterable<string>;
}

export class ProviderError extends Error {
  constructor(
    public readonly code: "PROVIDER_TIMEOUT" | "PROVIDER_RATE_LIMITED" | "PROVIDER_UNAVAILABLE" | "PROVIDER_REJECTED" | "PROVIDER_BAD_RESPONSE",
    message: string,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

export const NOT_IN_BOOK = "The book does not say. I could not find anything about that in its chapters — try asking with other words, or about a topic the book covers.";

/** Split into small pieces so a reader sees the answer arrive. */
function* chunks(text: string): Generator<string> {
  const words = text.split(/(\s+)/);
  for (let i = 0; i < words.length; i += 6) yield words.slice(i, i + 6).join("");
}

export function createEmbeddedProvider(): AnswerProvider {
  return {
    name: "embedded",
    async *answer({ question, passages, signal }) {
      if (passages.length === 0) {
        yield NOT_IN_BOOK;
        return;
      }
      // The [n] markers refer to the answer's citations (stored with it and listed by the UI).
      const text = composeAnswer(question, passages);
      for (const piece of chunks(text)) {
        if (signal.aborted) return;
        yield piece;
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

export interface OpenAIProviderOptions {
  apiKey: string;
  baseUrl: string;
  model: string;
  /** Time allowed until the first byte of the answer, and between two pieces of it. */
  firstByteTimeoutMs?: number;
  /** Time allowed for the whole answer. */
  totalTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

function systemPrompt(passages: Passage[]): string {
  const context = passages
    .map((p, i) => `[${i + 1}] ${p.chapterTitle} — ${p.sectionTitle}\n${markdownWithin(p.blocks, 2000)}`)
    .join("\n\n");
  return [
    "You are the reading assistant of a book. Answer the reader's question using ONLY the passages below.",
    "Cite passages with their numbers in square brackets, like [1]. If the passages do not contain the answer, say that the book does not say.",
    "Answer in the reader's language, briefly, in Markdown.",
    "",
    context || "(no passage matched the question)",
  ].join("\n");
}

/** Any OpenAI-compatible `/chat/completions` endpoint, streamed (server-sent events). */
export function createOpenAIProvider(options: OpenAIProviderOptions): AnswerProvider {
  const doFetch = options.fetchImpl ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    name: "openai",
    async *answer({ question, history, passages, signal }) {
      const timeout = AbortSignal.timeout(options.totalTimeoutMs ?? 120_000);
      const firstByte = new AbortController();
      const idleMs = options.firstByteTimeoutMs ?? 30_000;
      let timer = setTimeout(() => firstByte.abort(), idleMs);
      const combined = AbortSignal.any([signal, timeout, firstByte.signal]);
      let res: Response;
      try {
        res = await doFetch(`${base}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${options.apiKey}`, accept: "text/event-stream" },
          body: JSON.stringify({
            model: options.model,
            stream: true,
            messages: [{ role: "system", content: systemPrompt(passages) }, ...history.slice(-10), { role: "user", content: question }],
          }),
          signal: combined,
        });
      } catch (err) {
        clearTimeout(timer);
        if (signal.aborted) return;
        if (timeout.aborted || firstByte.signal.aborted) throw new ProviderError("PROVIDER_TIMEOUT", "The AI service took too long to answer. Try again in a moment.");
        throw new ProviderError("PROVIDER_UNAVAILABLE", "The AI service could not be reached. Try again in a moment.");
      }
      if (!res.ok) {
        clearTimeout(timer);
        await res.body?.cancel().catch(() => {});
        if (res.status === 429) throw new ProviderError("PROVIDER_RATE_LIMITED", "The AI service is busy right now. Wait a minute and try again.");
        if (res.status === 401 || res.status === 403) throw new ProviderError("PROVIDER_REJECTED", "The AI service refused our request. The site's operator needs to check its configuration.");
        if (res.status >= 500) throw new ProviderError("PROVIDER_UNAVAILABLE", "The AI service is having trouble. Try again in a moment.");
        throw new ProviderError("PROVIDER_REJECTED", "The AI service could not handle this question.");
      }
      if (!res.body) throw new ProviderError("PROVIDER_BAD_RESPONSE", "The AI service sent an empty answer.");
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let finished = false;
      try {
        for (;;) {
          let read;
          // Armed only while waiting on the provider: one that goes silent mid-answer times out too
          // (it used to hold the reader for the whole 120 s), a slow reader of ours does not.
          clearTimeout(timer);
          timer = setTimeout(() => firstByte.abort(), idleMs);
          try {
            read = await reader.read();
          } catch {
            if (signal.aborted) return;
            if (timeout.aborted || firstByte.signal.aborted) throw new ProviderError("PROVIDER_TIMEOUT", "The AI service took too long to answer. Try again in a moment.");
            throw new ProviderError("PROVIDER_UNAVAILABLE", "The connection to the AI service broke off.");
          }
          clearTimeout(timer);
          buffer += read.done ? "\n" : read.value;
          let nl: number;
          while ((nl = buffer.indexOf("\n")) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line.startsWith("data:")) continue;
            const data = line.slice(5).trim();
            if (data === "[DONE]") return;
            let event: { choices?: { delta?: { content?: string }; finish_reason?: string | null }[]; error?: { message?: string } };
            try {
              event = JSON.parse(data);
            } catch {
              throw new ProviderError("PROVIDER_BAD_RESPONSE", "The AI service sent an answer we could not read.");
            }
            if (event.error) throw new ProviderError("PROVIDER_UNAVAILABLE", "The AI service reported an error while answering.");
            const text = event.choices?.[0]?.delta?.content;
            if (event.choices?.[0]?.finish_reason) finished = true;
            if (text) yield text;
          }
          if (read.done) break;
        }
        // A stream that ends without `[DONE]` or a finish_reason was cut off: not a complete answer.
        if (!finished) throw new ProviderError("PROVIDER_UNAVAILABLE", "The connection to the AI service broke off before the answer was finished.");
      } finally {
        clearTimeout(timer);
        reader.releaseLock();
      }
    },
  };
}

/** The provider the configuration names: OpenAI-compatible with OPENAI_API_KEY, else the embedded one. */
export function providerFromEnv(env: {
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  OPENAI_TIMEOUT_MS: number;
}): AnswerProvider {
  if (!env.OPENAI_API_KEY) return createEmbeddedProvider();
  return createOpenAIProvider({
    apiKey: env.OPENAI_API_KEY,
    baseUrl: env.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
    model: env.OPENAI_MODEL ?? "gpt-4o-mini",
    firstByteTimeoutMs: env.OPENAI_TIMEOUT_MS,
    totalTimeoutMs: Math.max(120_000, env.OPENAI_TIMEOUT_MS * 2),
  });
}
