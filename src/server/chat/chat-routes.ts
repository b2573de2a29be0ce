import { Hono, type Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Services } from "../services.ts";
import { isDatabaseUnavailable, serviceUnavailable } from "../db/unavailable.ts";
import { ApiError } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { hasVisibleText } from "../http/text-input.ts";
import { finishWhenDatabaseIsBack, type AnswerFinal } from "./answer-recovery.ts";
import type { ChatStore } from "./chat-store.ts";
import { decodeCursor, MESSAGES_PAGE, toChatView } from "./chat-store.ts";

const MAX_MESSAGES_PAGE = 200;
// Built once: a zod schema per request cost a quarter of the chat list's CPU (bench --scale).
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(200).optional() });
const messagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_MESSAGES_PAGE).default(MESSAGES_PAGE),
  before: z.string().max(200).optional(),
});
import { citationOf, type BookIndex } from "./retrieval.ts";
import { ProviderError, type AnswerProvider } from "./providers.ts";
import { chatRules } from "../rate-limit/rules.ts";
import type { RateRule } from "../rate-limit/rate-limiter.ts";

/**
 * /api/v1/chats — chats with the book, for accounts and anonymous readers alike.
 * Every route is scoped to the caller: another user's chat is 404, never 403 (ASVS 8.2.2).
 */
export interface ChatDeps {
  store: ChatStore;
  index: () => BookIndex;
  provider: AnswerProvider;
  limits: { perMinute: number; anonymousPerDay: number; userPerDay: number; maxChars: number };
}

const idParam = z.string().min(1).max(64);
/** A title shows something (not only spaces or invisible characters) and fits the sidebar. */
const chatTitle = z
  .string()
  .trim()
  .max(120)
  .refine(hasVisibleText, "Enter a title with at least one visible character.")
  .refine((t) => !/[\p{Cc}\u2028\u2029]/u.test(t), "Titles cannot contain control characters.");
const notFound = () => new ApiError(404, "CHAT_NOT_FOUND", "No such chat.");

export function chatRoutes(s: Services, deps: ChatDeps) {
  const app = new Hono<CallerEnv>();
  const { store } = deps;
  const rules = chatRules(deps.limits);
  app.use("*", s.callers.requireCaller());

  async function ownedChat(c: Context<CallerEnv>) {
    const id = idParam.safeParse(c.req.param("id"));
    if (!id.success) throw notFound();
    const chat = await store.find(c.get("caller").userId, id.data);
    if (!chat) throw notFound();
    return chat;
  }

  /** Per reader and per IP a minute, and a daily quota (smaller for guests): rate-limit/rules.ts `chatRules`. */
  async function takeQuota(c: Context<CallerEnv>) {
    const caller = c.get("caller");
    const guest = Boolean(caller.user.isAnonymous);
    const checks: [RateRule, string][] = [];
    if (s.config.rateLimit) checks.push([rules.perReader, caller.userId], [rules.perIp, currentRequest()?.limitKey ?? "unknown"]);
    const day = guest ? rules.guestDay : rules.readerDay;
    checks.push([day, caller.userId]);
    for (const [rule, key] of checks) {
      const decision = await s.limits.decide(rule, key);
      if (decision.allowed) continue;
      const daily = rule === day;
      throw new ApiError(
        429,
        daily ? "CHAT_QUOTA_EXCEEDED" : "RATE_LIMITED",
        daily
          ? guest
            ? `You have used today's ${rule.max} questions for guests. Create a free account to keep asking and keep your chats.`
            : `You have used today's ${rule.max} questions.`
          : "You are sending messages too fast. Wait a moment.",
        { retryAfter: decision.retryAfterSeconds, anonymous: guest },
        { "Retry-After": String(decision.retryAfterSeconds) },
      );
    }
  }

  app.post("/", async (c) => {
    const body = c.req.header("content-length") === "0" || !c.req.header("content-type") ? {} : await jsonBody(c, z.object({ title: chatTitle.optional() }).strict());
    const chat = await store.create(c.get("caller").userId, body.title);
    return c.json(chat, 201);
  });

  app.get("/", async (c) => {
    const q = listQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", "limit must be 1..100 and cursor a value from nextCursor.");
    const cursor = q.data.cursor ? decodeCursor(q.data.cursor) : null;
    if (q.data.cursor && !cursor) throw new ApiError(400, "INVALID_CURSOR", "cursor must be a value from nextCursor.");
    return c.json(await store.list(c.get("caller").userId, q.data.limit, cursor));
  });

  // The latest MESSAGES_PAGE messages; `before=<earlierCursor>` pages back through a long chat.
  app.get("/:id", async (c) => {
    const q = messagesQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", `limit must be 1..${MAX_MESSAGES_PAGE} and before a value from earlierCursor.`);
    const before = q.data.before ? decodeCursor(q.data.before) : null;
    if (q.data.before && !before) throw new ApiError(400, "INVALID_CURSOR", "before must be a value from earlierCursor.");
    const chat = await ownedChat(c);
    return c.json({ ...toChatView(chat), ...(await store.messages(chat.id, { limit: q.data.limit, before })) });
  });

  app.patch("/:id", async (c) => {
    const chat = await ownedChat(c);
    const { title } = await jsonBody(c, z.object({ title: chatTitle }).strict());
    await store.rename(c.get("caller").userId, chat.id, title);
    const updated = await store.find(c.get("caller").userId, chat.id);
    return c.json(toChatView(updated!));
  });

  app.delete("/:id", async (c) => {
    const chat = await ownedChat(c);
    await store.remove(c.get("caller").userId, chat.id);
    return c.body(null, 204);
  });

  const messageBody = z.object({ content: z.string() }).strict();

  async function answer(c: Context<CallerEnv>, chatId: string, question: string, assistantId: string, before: number, userMessage?: unknown) {
    const passages = deps.index().search(question, 4);
    const citations = passages.map(citationOf);
    // The database went away mid-answer. Left "streaming", the answer could never be retried
    // (the load test found such rows): it is written as soon as the database is back, and the
    // reader is told now (503, or an `error` event in the stream).
    const unavailable = (err: unknown, final: AnswerFinal) => {
      if (!isDatabaseUnavailable(err)) return err;
      void finishWhenDatabaseIsBack(store, assistantId, final, s.logger);
      return serviceUnavailable();
    };
    const history = await store.history(chatId, before).catch((err: unknown) => {
      throw unavailable(err, { content: "", citations, status: "interrupted", errorCode: "INTERRUPTED" });
    });
    const abort = new AbortController();
    let text = "";

    async function run(onChunk: (t: string) => Promise<void>) {
      let final: AnswerFinal;
      let error: { code: string; message: string } | undefined;
      try {
        for await (const piece of deps.provider.answer({ question, history, passages, signal: abort.signal })) {
          text += piece;
          await onChunk(piece);
        }
        final = abort.signal.aborted
          ? { content: text, citations, status: "interrupted", errorCode: "INTERRUPTED" }
          : { content: text, citations, status: "complete" };
      } catch (err) {
        const code = err instanceof ProviderError ? err.code : "ANSWER_FAILED";
        const message = err instanceof ProviderError ? err.message : "Something went wrong while answering. Try again.";
        if (!(err instanceof ProviderError)) s.logger.error({ err: err instanceof Error ? err.message : String(err) }, "answer failed");
        final = { content: text, citations, status: "error", errorCode: code };
        error = { code, message };
      }
      try {
        const stored = await store.finishAnswer(assistantId, final);
        return error ? { ...stored, error } : stored;
      } catch (err) {
        throw unavailable(err, final);
      }
    }

    const wantsJson = (c.req.header("accept") ?? "").includes("application/json") && !(c.req.header("accept") ?? "").includes("text/event-stream");
    if (wantsJson) {
      const result = await run(async () => {});
      const { error, ...message } = result as typeof result & { error?: { code: string; message: string } };
      if (error) return c.json({ code: error.code, message: error.message, userMessage, assistantMessage: message }, 502);
      return c.json({ userMessage, assistantMessage: message });
    }

    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      if (userMessage) await stream.writeSSE({ event: "message", data: JSON.stringify(userMessage) });
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run((piece) => stream.writeSSE({ event: "token", data: JSON.stringify({ text: piece }) }));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        return stream.writeSSE({ event: "error", data: JSON.stringify({ code: err.code, message: err.message }) });
      }
      const { error, ...message } = result as typeof result & { error?: { code: string; message: string } };
      if (error) await stream.writeSSE({ event: "error", data: JSON.stringify({ code: error.code, message: error.message, assistantMessage: message }) });
      else await stream.writeSSE({ event: "done", data: JSON.stringify({ assistantMessage: message }) });
    });
  }

  app.post("/:id/messages", async (c) => {
    const chat = await ownedChat(c);
    const { content } = await jsonBody(c, messageBody);
    const question = content.trim();
    if (!hasVisibleText(question)) throw new ApiError(400, "MESSAGE_EMPTY", "Write a question first.");
    if ([...question].length > deps.limits.maxChars) {
      throw new ApiError(400, "MESSAGE_TOO_LONG", `Messages are limited to ${deps.limits.maxChars} characters.`, { maxChars: deps.limits.maxChars });
    }
    await takeQuota(c);
    // The reader's message is stored before the model is asked: it is never lost.
    const { userMessage, assistantId } = await store.startExchange(chat, question);
    // History is what came before the question: the question itself is sent once, as the last turn.
    return answer(c, chat.id, question, assistantId, Date.parse(userMessage.createdAt), userMessage);
  });

  app.post("/:id/messages/:messageId/retry", async (c) => {
    const chat = await ownedChat(c);
    const messageId = idParam.safeParse(c.req.param("messageId"));
    if (!messageId.success) throw new ApiError(404, "MESSAGE_NOT_FOUND", "No such message.");
    await takeQuota(c);
    const restarted = await store.restartAnswer(chat.id, messageId.data);
    if (!restarted) throw new ApiError(409, "NOTHING_TO_RETRY", "Only a failed or interrupted answer can be retried.");
    return answer(c, chat.id, restarted.question, restarted.assistantId, restarted.before);
  });

  return app;
}
