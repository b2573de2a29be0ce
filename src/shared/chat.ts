/**
 * Chat facts the server and the browser share. Without zod: the chat panel loads no schema
 * library for them.
 */

/** The title a chat has until its first question names it. */
export const DEFAULT_CHAT_TITLE = "New chat";

/** The title a "New chat" takes from its first question. */
export const titleFromQuestion = (question: string) => question.replace(/\s+/g, " ").trim().slice(0, 60);
