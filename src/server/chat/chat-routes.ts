import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Services } from "../services.ts";
import { isDatabaseUnavailable, serviceUnavailable } from "../db/unavailable.ts";
import { ApiError } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { hasVisibleText } from "../../shared/text.ts";
import {
  answerFailedSchema,
  answerSchema,
  answerStreamSchema,
  chatListQuery,
  chatMessagesQuery,
  chatPageSchema,
  chatParams,
  chatSchema,
  chatWithMessagesSchema,
  createChatBody,
  MAX_MESSAGES_PAGE,
  messageParams,
  questionBody,
  renameChatBody,
} from "../../shared/api/chat.ts";
import { finishWhenDatabaseIsBack, type AnswerFinal } from "./answer-recovery.ts";
import type { ChatStore } from "./chat-store.ts";
import { decodeCursor, toChatView } from "./chat-store.ts";
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

const chatNotFound = errorResponse(404, "CHAT_NOT_FOUND: no such chat, or another reader's");

const postChat = createRoute({
  method: "post",
  path: "/",
  summary: "Start a chat (anonymous readers too: sign in with POST /api/auth/sign-in/anonymous first)",
  request: { body: { required: false, content: { "application/json": { schema: createChatBody } } } },
  responses: { 201: jsonResponse(chatSchema, "The new chat"), ...errorResponses(400, 401, 503) },
});

const listChats = createRoute({
  method: "get",
  path: "/",
  summary: "The caller's chats, most recently active first",
  request: { query: chatListQuery },
  responses: { 200: jsonResponse(chatPageSchema, "A page of chats"), ...errorResponses(400, 401, 503) },
});

const getChat = createRoute({
  method: "get",
  path: "/{id}",
  summary: "A chat with its latest messages (another reader's chat is 404)",
  description:
    "`messages` are the chat's latest `limit` (default 50) messages, oldest first; `earlierCursor`, when not null, passed as `before` gives the page before them.",
  request: { params: chatParams, query: chatMessagesQuery },
  responses: { 200: jsonResponse(chatWithMessagesSchema, "The chat and a page of its messages"), ...errorResponses(400, 401, 503), 404: chatNotFound },
});

const renameChat = createRoute({
  method: "patch",
  path: "/{id}",
  summary: "Rename a chat",
  request: { params: chatParams, body: { required: true, content: { "application/json": { schema: renameChatBody } } } },
  responses: { 200: jsonResponse(chatSchema, "The renamed chat"), ...errorResponses(400, 401, 503), 404: chatNotFound },
});

const deleteChat = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Delete a chat and its messages",
  request: { params: chatParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 503), 404: chatNotFound },
});

/** Both ways an answer comes, and what stops one before it starts. */
const answerResponses = {
  200: {
    description: "The answer: server-sent events, or one JSON body with `Accept: application/json`",
    content: { "text/event-stream": { schema: answerStreamSchema }, "application/json": { schema: answerSchema } },
  },
  ...errorResponses(401, 503),
  429: errorResponse(429, "RATE_LIMITED (per reader and per IP a minute) or CHAT_QUOTA_EXCEEDED (a day; `anonymous` says whether a guest asked); see Retry-After"),
  502: jsonResponse(answerFailedSchema, "With `Accept: application/json`: the provider failed; the failed answer is stored and can be retried"),
};

const askQuestion = createRoute({
  method: "post",
  path: "/{id}/messages",
  summary: "Ask a question; the answer streams as server-sent events",
  description:
    "The reader's message is stored before the model is asked. Events: `message` (the stored question), `token` ({text}) repeatedly, then `done` ({assistantMessage}) or `error` ({code, message, assistantMessage}). With `Accept: application/json` the whole answer comes as one JSON body (502 with a code when the provider fails). A failed or interrupted answer is stored with its status and can be retried.",
  request: { params: chatParams, body: { required: true, content: { "application/json": { schema: questionBody } } } },
  responses: {
    ...answerResponses,
    400: errorResponse(400, "VALIDATION_FAILED, MESSAGE_EMPTY, or MESSAGE_TOO_LONG (with `maxChars`)"),
    404: chatNotFound,
  },
});

const retryAnswer = createRoute({
  method: "post",
  path: "/{id}/messages/{messageId}/retry",
  summary: "Answer again in place of a failed or interrupted answer",
  description: "The answer comes as for a question, without the `message` event.",
  request: { params: messageParams },
  responses: {
    ...answerResponses,
    404: errorResponse(404, "CHAT_NOT_FOUND or MESSAGE_NOT_FOUND"),
    409: errorResponse(409, "NOTHING_TO_RETRY: only a failed or interrupted answer can be retried"),
  },
});

const notFound = () => new ApiError(404, "CHAT_NOT_FOUND", "No such chat.");

export function chatRoutes(s: Services, deps: ChatDeps) {
  const app = new OpenAPIHono<CallerEnv>();
  const { store } = deps;
  const rules = chatRules(deps.limits);
  app.use("*", s.callers.requireCaller());

  async function ownedChat(c: Context<CallerEnv>) {
    const id = chatParams.shape.id.safeParse(c.req.param("id"));
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

  route(app, postChat, async (c) => {
    const body = c.req.header("content-length") === "0" || !c.req.header("content-type") ? {} : await jsonBody(c, createChatBody);
    const chat = await store.create(c.get("caller").userId, body.title);
    return c.json(chat, 201);
  });

  route(app, listChats, async (c) => {
    const q = chatListQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", "limit must be 1..100 and cursor a value from nextCursor.");
    const cursor = q.data.cursor ? decodeCursor(q.data.cursor) : null;
    if (q.data.cursor && !cursor) throw new ApiError(400, "INVALID_CURSOR", "cursor must be a value from nextCursor.");
    return c.json(await store.list(c.get("caller").userId, q.data.limit, cursor));
  });

  // The latest MESSAGES_PAGE messages; `before=<earlierCursor>` pages back through a long chat.
  route(app, getChat, async (c) => {
    const q = chatMessagesQuery.safeParse(c.req.query());
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", `limit must be 1..${MAX_MESSAGES_PAGE} and before a value from earlierCursor.`);
    const before = q.data.before ? decodeCursor(q.data.before) : null;
    if (q.data.before && !before) throw new ApiError(400, "INVALID_CURSOR", "before must be a value from earlierCursor.");
    const chat = await ownedChat(c);
    return c.json({ ...toChatView(chat), ...(await store.messages(chat.id, { limit: q.data.limit, before })) });
  });

  route(app, renameChat, async (c) => {
    const chat = await ownedChat(c);
    const { title } = await jsonBody(c, renameChatBody);
    await store.rename(c.get("caller").userId, chat.id, title);
    const updated = await store.find(c.get("caller").userId, chat.id);
    return c.json(toChatView(updated!));
  });

  route(app, deleteChat, async (c) => {
    const chat = await ownedChat(c);
    await store.remove(c.get("caller").userId, chat.id);
    return c.body(null, 204);
  });

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

  route(app, askQuestion, async (c) => {
    const chat = await ownedChat(c);
    const { content } = await jsonBody(c, questionBody);
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

  route(app, retryAnswer, async (c) => {
    const chat = await ownedChat(c);
    const messageId = messageParams.shape.messageId.safeParse(c.req.param("messageId"));
    if (!messageId.success) throw new ApiError(404, "MESSAGE_NOT_FOUND", "No such message.");
    await takeQuota(c);
    const restarted = await store.restartAnswer(chat.id, messageId.data);
    if (!restarted) throw new ApiError(409, "NOTHING_TO_RETRY", "Only a failed or interrupted answer can be retried.");
    return answer(c, chat.id, restarted.question, restarted.assistantId, restarted.before);
  });

  return app;
}
