import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.ts";
import type { Citation } from "./retrieval.ts";
import { MESSAGES_PAGE } from "../../shared/api/chat.ts";
import { DEFAULT_CHAT_TITLE, titleFromQuestion } from "../../shared/chat.ts";

/** Chats and messages, always scoped to their owner: another user's chat simply does not exist. */

export interface ChatView {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
}

export interface MessageView {
  id: string;
  role: "user" | "assistant";
  content: string;
  citations: Citation[];
  status: string;
  errorCode: string | null;
  createdAt: string;
}

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export function toChatView(row: { id: string; title: string; created_at: number; updated_at: number }): ChatView {
  return { id: row.id, title: row.title, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) };
}

export function toMessageView(row: Database["message"]): MessageView {
  let citations: Citation[] = [];
  if (row.citations) {
    try {
      citations = JSON.parse(row.citations) as Citation[];
    } catch {
      citations = [];
    }
  }
  return { id: row.id, role: row.role, content: row.content, citations, status: row.status, errorCode: row.error_code, createdAt: iso(row.created_at) };
}

/** Cursor = the last row's (updated_at, id) for chats, the first row's (created_at, id) for messages; opaque to clients. */
export function encodeCursor(updatedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([Number(updatedAt), id])).toString("base64url");
}

export function decodeCursor(cursor: string): [number, string] | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") return [value[0], value[1]];
  } catch {
    /* fall through */
  }
  return null;
}

/** `streamOwner` tags the answers this process writes (see answer-recovery.ts). */
export function createChatStore(db: Kysely<Database>, clock: () => number = () => Date.now(), streamOwner: string | null = null) {
  // Strictly increasing within a process: two chats made in one millisecond still list in the
  // order they were made (regression: same-millisecond chats fell back to random-id order).
  let last = 0;
  const now = () => {
    last = Math.max(clock(), last + 1);
    return last;
  };

  async function create(ownerId: string, title = DEFAULT_CHAT_TITLE) {
    const t = now();
    const row = { id: randomUUID(), owner_id: ownerId, title, created_at: t, updated_at: t };
    await db.insertInto("chat").values(row).execute();
    return toChatView(row);
  }

  async function find(ownerId: string, id: string) {
    return db.selectFrom("chat").selectAll().where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
  }

  async function list(ownerId: string, limit: number, cursor: [number, string] | null) {
    let q = db
      .selectFrom("chat")
      .select(["id", "title", "created_at", "updated_at"])
      .where("owner_id", "=", ownerId)
      .orderBy("updated_at", "desc")
      .orderBy("id", "desc")
      .limit(limit + 1);
    if (cursor) {
      const [u, id] = cursor;
      q = q.where((eb) => eb.or([eb("updated_at", "<", u), eb.and([eb("updated_at", "=", u), eb("id", "<", id)])]));
    }
    const rows = await q.execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { chats: page.map(toChatView), nextCursor: rows.length > limit && last ? encodeCursor(last.updated_at, last.id) : null };
  }

  /**
   * A chat's latest `limit` messages, oldest first, or the `limit` before `before` (the
   * `earlierCursor` of the page after them). `earlierCursor` is null when there are no more.
   */
  async function messages(chatId: string, page: { limit?: number; before?: [number, string] | null } = {}) {
    const limit = page.limit ?? MESSAGES_PAGE;
    let q = db.selectFrom("message").selectAll().where("chat_id", "=", chatId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1);
    if (page.before) {
      const [t, id] = page.before;
      q = q.where((eb) => eb.or([eb("created_at", "<", t), eb.and([eb("created_at", "=", t), eb("id", "<", id)])]));
    }
    const rows = await q.execute();
    const shown = rows.slice(0, limit).reverse();
    const first = shown[0];
    return { messages: shown.map(toMessageView), earlierCursor: rows.length > limit && first ? encodeCursor(first.created_at, first.id) : null };
  }

  async function rename(ownerId: string, id: string, title: string) {
    const res = await db.updateTable("chat").set({ title, updated_at: now() }).where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async function remove(ownerId: string, id: string) {
    const res = await db.deleteFrom("chat").where("id", "=", id).where("owner_id", "=", ownerId).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }

  /** Store the reader's message and an empty assistant message in one transaction, before asking. */
  async function startExchange(chat: { id: string; title: string }, content: string) {
    const t = now();
    last = Math.max(last, t + 1); // the answer is stamped t + 1
    const userMsg = { id: randomUUID(), chat_id: chat.id, role: "user" as const, content, citations: null, status: "complete", error_code: null, created_at: t, stream_owner: null };
    const assistant = { id: randomUUID(), chat_id: chat.id, role: "assistant" as const, content: "", citations: null, status: "streaming", error_code: null, created_at: t + 1, stream_owner: streamOwner };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("message").values([userMsg, assistant]).execute();
      const title = chat.title === DEFAULT_CHAT_TITLE ? titleFromQuestion(content) : chat.title;
      await trx.updateTable("chat").set({ updated_at: t, title }).where("id", "=", chat.id).execute();
    });
    return { userMessage: toMessageView(userMsg), assistantId: assistant.id };
  }

  async function finishAnswer(id: string, fields: { content: string; citations: Citation[]; status: "complete" | "error" | "interrupted"; errorCode?: string | null }) {
    await db
      .updateTable("message")
      .set({ content: fields.content, citations: JSON.stringify(fields.citations), status: fields.status, error_code: fields.errorCode ?? null })
      .where("id", "=", id)
      .execute();
    const row = await db.selectFrom("message").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    return toMessageView(row);
  }

  /** For a retry: the failed answer goes, and a fresh one is started for the same question. */
  async function restartAnswer(chatId: string, failedId: string) {
    const failed = await db.selectFrom("message").selectAll().where("id", "=", failedId).where("chat_id", "=", chatId).executeTakeFirst();
    if (!failed || failed.role !== "assistant" || failed.status === "complete" || failed.status === "streaming") return null;
    const question = await db
      .selectFrom("message")
      .selectAll()
      .where("chat_id", "=", chatId)
      .where("role", "=", "user")
      .where("created_at", "<", failed.created_at)
      .orderBy("created_at", "desc")
      .executeTakeFirst();
    if (!question) return null;
    const assistant = { id: randomUUID(), chat_id: chatId, role: "assistant" as const, content: "", citations: null, status: "streaming", error_code: null, created_at: failed.created_at, stream_owner: streamOwner };
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("message").where("id", "=", failedId).execute();
      await trx.insertInto("message").values(assistant).execute();
      await trx.updateTable("chat").set({ updated_at: now() }).where("id", "=", chatId).execute();
    });
    // History stops before the question (it is sent once, as the last turn).
    return { question: question.content, assistantId: assistant.id, before: question.created_at };
  }

  async function history(chatId: string, before: number, limit = 10) {
    const rows = await db
      .selectFrom("message")
      .select(["role", "content", "status"])
      .where("chat_id", "=", chatId)
      .where("created_at", "<", before)
      .where("status", "=", "complete")
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({ role: r.role, content: r.content }));
  }

  return { create, find, list, messages, rename, remove, startExchange, finishAnswer, restartAnswer, history };
}

export type ChatStore = ReturnType<typeof createChatStore>;
