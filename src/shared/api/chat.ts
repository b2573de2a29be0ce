import { z } from "zod";
import { hasVisibleText } from "../text.ts";
import { isoTime } from "./errors.ts";

/**
 * /api/v1/chats: chats with the book, for accounts and guests alike. A chat opens on its latest
 * MESSAGES_PAGE messages; `before` pages back.
 */
export const MESSAGES_PAGE = 50;
export const MAX_MESSAGES_PAGE = 200;

const chatId = z.string().min(1).max(64);
export const chatParams = z.object({ id: chatId });
export const messageParams = z.object({ id: chatId, messageId: chatId });

// Query schemas are built once, here: a zod schema per request cost a quarter of the chat list's
// CPU (bench --scale).
export const chatListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional().meta({ description: "nextCursor of the previous page" }),
});

export const chatMessagesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_MESSAGES_PAGE).default(MESSAGES_PAGE),
  before: z.string().max(200).optional().meta({ description: "earlierCursor of a previous answer" }),
});

/** A title shows something (not only spaces or invisible characters) and fits the sidebar. */
const chatTitle = z
  .string()
  .trim()
  .max(120)
  .refine(hasVisibleText, "Enter a title with at least one visible character.")
  .refine((t) => !/[\p{Cc}\u2028\u2029]/u.test(t), "Titles cannot contain control characters.");

export const createChatBody = z.object({ title: chatTitle.optional() }).strict();
export const renameChatBody = z.object({ title: chatTitle }).strict();
export const questionBody = z.object({ content: z.string() }).strict();

export const citationSchema = z
  .strictObject({
    chapterSlug: z.string(),
    chapterTitle: z.string(),
    sectionId: z.string().nullable(),
    sectionTitle: z.string(),
    url: z.string(),
  })
  .meta({ id: "Citation" });

export const MESSAGE_STATUSES = ["complete", "error", "interrupted", "streaming"] as const;

export const chatMessageSchema = z
  .strictObject({
    id: z.string(),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    citations: z.array(citationSchema),
    status: z.enum(MESSAGE_STATUSES),
    errorCode: z.string().nullable(),
    createdAt: isoTime,
  })
  .meta({ id: "ChatMessage" });

const chatShape = { id: z.string(), title: z.string(), createdAt: isoTime, updatedAt: isoTime };

export const chatSchema = z.strictObject(chatShape).meta({ id: "Chat" });

export const chatPageSchema = z
  .strictObject({ chats: z.array(chatSchema), nextCursor: z.string().nullable() })
  .meta({ id: "ChatPage", description: "Most recently active first" });

export const chatWithMessagesSchema = z
  .strictObject({
    ...chatShape,
    messages: z.array(chatMessageSchema).meta({ description: "The latest messages (or those before `before`), oldest first" }),
    earlierCursor: z.string().nullable().meta({ description: "Pass as `before` for the messages before these; null when there are none" }),
  })
  .meta({ id: "ChatWithMessages" });

/** An answer as one JSON body (`Accept: application/json`). A retry has no `userMessage`. */
export const answerSchema = z.strictObject({ userMessage: chatMessageSchema.optional(), assistantMessage: chatMessageSchema }).meta({ id: "Answer" });

/** 502 of a JSON answer: the provider failed; the failed answer is stored and can be retried. */
export const answerFailedSchema = z
  .strictObject({ code: z.string(), message: z.string(), userMessage: chatMessageSchema.optional(), assistantMessage: chatMessageSchema })
  .meta({ id: "AnswerFailed" });

/** The data of each server-sent event of an answer, by event name. */
export const answerEvents = {
  /** The stored question (not on a retry). */
  message: chatMessageSchema,
  token: z.strictObject({ text: z.string() }).meta({ id: "AnswerTokenEvent" }),
  done: z.strictObject({ assistantMessage: chatMessageSchema }).meta({ id: "AnswerDoneEvent" }),
  error: z
    .strictObject({ code: z.string(), message: z.string(), assistantMessage: chatMessageSchema.optional() })
    .meta({ id: "AnswerErrorEvent" }),
};

/**
 * The answer as server-sent events (`Accept: text/event-stream`, the default): the data of each
 * event, by its name. OpenAPI 3.1 has no words for the events of a stream; their data is what a
 * client parses.
 */
export const answerStreamSchema = z.union([chatMessageSchema, answerEvents.token, answerEvents.done, answerEvents.error]).meta({
  description:
    "The JSON `data` of each event, by its name: `message` → ChatMessage (the stored question; not on a retry), `token` → AnswerTokenEvent, `done` → AnswerDoneEvent, `error` → AnswerErrorEvent.",
});

export type Citation = z.infer<typeof citationSchema>;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatSummary = z.infer<typeof chatSchema>;
export type ChatPage = z.infer<typeof chatPageSchema>;
export type ChatWithMessages = z.infer<typeof chatWithMessagesSchema>;
