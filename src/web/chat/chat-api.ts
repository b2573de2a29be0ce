import { api, apiFetch } from "../api/client.ts";
import { apiErrorFrom, ApiError, networkError } from "../api/api-error.ts";
import { sessionStore } from "../auth/session-store.ts";
import type { ChatMessage, ChatPage, ChatSummary, ChatWithMessages } from "../../shared/api/chat.ts";
import { ensureCaller, renewGuest } from "./guest.ts";
import { readEvents } from "./sse.ts";

/** /api/v1/chats, in the shapes the server declares (src/shared/api/chat.ts). */
export type { Citation, ChatMessage, ChatSummary } from "../../shared/api/chat.ts";
export { DEFAULT_CHAT_TITLE, titleFromQuestion } from "../../shared/chat.ts";

/** The server's limit on a question's length (CHAT_MAX_MESSAGE_CHARS, default 4000), learned from MESSAGE_TOO_LONG. */
export const chatLimits = { maxChars: 4000 };

const signedIn = () => sessionStore.get().status === "signed-in";
/** Guests and readers without any session never get the sign-in dialog for a chat call: a 401 is theirs to handle. */
const opts = () => ({ reauth: signedIn() });

export const listChats = (cursor?: string, signal?: AbortSignal) =>
  api<ChatPage>("/chats", { query: { limit: 20, cursor }, signal, ...opts() });

export const getChat = (id: string, signal?: AbortSignal, before?: string) =>
  api<ChatWithMessages>(`/chats/${encodeURIComponent(id)}`, { query: { before }, signal, ...opts() });

export const renameChat = (id: string, title: string) =>
  api<ChatSummary>(`/chats/${encodeURIComponent(id)}`, { method: "PATCH", body: { title }, ...opts() });

export const deleteChat = (id: string) => api<null>(`/chats/${encodeURIComponent(id)}`, { method: "DELETE", ...opts() });

/** A new chat; a reader with no session at all becomes a guest first (silently). */
export async function createChat(): Promise<ChatSummary> {
  await ensureCaller();
  try {
    return await api<ChatSummary>("/chats", { method: "POST", ...opts() });
  } catch (e) {
    // The guest session ended (purged after inactivity): a new guest, once.
    if (e instanceof ApiError && e.status === 401 && !signedIn()) {
      await renewGuest();
      return api<ChatSummary>("/chats", { method: "POST", ...opts() });
    }
    throw e;
  }
}

/** What an answer stream tells, in order: `message` (the stored question, not on retry), `token`s, then `done` or `error`. */
export interface StreamHandlers {
  /** The server accepted the question (it is stored from here on, whatever happens next). */
  onOpen?(): void;
  onQuestion?(message: ChatMessage): void;
  onToken(text: string): void;
  onDone(answer: ChatMessage): void;
  /** The server could not answer; `answer` is the stored (failed) assistant message. */
  onError(error: { code: string; message: string; answer: ChatMessage | null }): void;
}

function parse(data: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(data);
    return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * POST a question (or a retry) and read the answer as it streams. Errors before the stream starts
 * (429, 400, …) throw ApiError; a stream that ends without `done` or `error` (connection lost)
 * throws NETWORK_ERROR. An abort through `signal` rejects with the AbortError.
 */
export async function streamAnswer(path: string, body: unknown, signal: AbortSignal, on: StreamHandlers): Promise<void> {
  // Signed in: renew or sign in again, then carry on. A guest's 401 is thrown: their chat went with their session.
  const res = await apiFetch(path, { method: "POST", body, signal, accept: "text/event-stream", reauth: signedIn });
  if (!res.ok || !res.body) {
    const body = parse(await res.text().catch(() => ""));
    if (typeof body.maxChars === "number" && body.maxChars > 0) chatLimits.maxChars = body.maxChars;
    const error = apiErrorFrom(res.status, body, res.headers.get("retry-after"));
    throw Object.assign(error, { anonymous: body.anonymous === true });
  }
  on.onOpen?.();
  for await (const ev of readEvents(res.body, signal)) {
    const data = parse(ev.data);
    if (ev.event === "message") on.onQuestion?.(data as unknown as ChatMessage);
    else if (ev.event === "token") {
      if (typeof data.text === "string") on.onToken(data.text);
    } else if (ev.event === "done") return on.onDone(data.assistantMessage as ChatMessage);
    else if (ev.event === "error") {
      return on.onError({
        code: typeof data.code === "string" ? data.code : "ANSWER_FAILED",
        message: typeof data.message === "string" ? data.message : "",
        answer: (data.assistantMessage as ChatMessage | undefined) ?? null,
      });
    }
  }
  if (signal.aborted) throw new DOMException("Aborted", "AbortError");
  throw networkError();
}
