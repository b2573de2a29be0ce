import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError } from "../api/api-error.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import {
  chatLimits,
  createChat,
  DEFAULT_CHAT_TITLE,
  deleteChat,
  getChat,
  listChats,
  renameChat,
  streamAnswer,
  titleFromQuestion,
  type ChatMessage,
  type ChatSummary,
} from "./chat-api.ts";
import { answerProblem, chatErrorMessage } from "./chat-errors.ts";
import { loadSaved, save } from "./ChatContext.tsx";

/**
 * The chat panel's state: the reader's chats, the open conversation, answers as they stream.
 * Messages are kept per chat, so an answer keeps streaming into its chat while the reader looks
 * at another one. Nothing the reader typed is lost: a question the server refused goes back to
 * the composer, and a stopped or failed answer can be retried.
 */
export interface UiMessage extends ChatMessage {
  /** A stand-in until the server names it: its id is ours, not the server's. */
  local?: boolean;
  /** Words for a failed or stopped answer, when we know more than its code. */
  problem?: string;
  /** React key: stays the same when the server's version replaces our stand-in. */
  key?: string;
}

export interface ListState {
  status: "idle" | "loading" | "ready" | "error";
  chats: ChatSummary[];
  nextCursor: string | null;
  loadingMore: boolean;
  error: unknown;
}

/** A 429: "wait N s" (RATE_LIMITED) or the day's questions are used up (CHAT_QUOTA_EXCEEDED). */
export interface Limit {
  kind: "rate" | "quota";
  until: number;
  message: string;
  guest: boolean;
}

type Identity = "loading" | "none" | "guest" | `user:${string}`;

/** The unsaved "new chat" (no id until its first question). */
const NEW = "";
let seq = 0;
const localId = (kind: string) => `local-${kind}-${++seq}`;

export function useChatSession() {
  const { state: auth } = useAuth();
  const identity: Identity =
    auth.status === "signed-in" ? `user:${auth.user.id}` : auth.status === "loading" ? "loading" : auth.guest ? "guest" : "none";
  const guest = identity === "guest" || identity === "none";

  const [list, setList] = useState<ListState>({ status: "idle", chats: [], nextCursor: null, loadingMore: false, error: null });
  const [activeId, setActiveIdState] = useState<string | null>(() => loadSaved().chatId);
  const activeRef = useRef(activeId);
  const [byChat, setByChat] = useState<Record<string, UiMessage[]>>({});
  /** Per chat: the cursor of the messages before those shown (long chats open on their latest page). */
  const [earlier, setEarlier] = useState<Record<string, { cursor: string | null; loading: boolean; error: unknown }>>({});
  const [chatStatus, setChatStatus] = useState<"idle" | "loading" | "ready" | "error">(activeId ? "loading" : "ready");
  const [chatError, setChatError] = useState<unknown>(null);
  /** The open chat as the server last described it (its title, before the list has it). */
  const [loaded, setLoaded] = useState<ChatSummary | null>(null);
  /** chat id → the id of the answer streaming into it from this tab. */
  const [live, setLive] = useState<Record<string, string>>({});
  const streams = useRef(new Map<string, AbortController>());
  const [sendError, setSendError] = useState<string | null>(null);
  const [limit, setLimit] = useState<Limit | null>(null);
  const [announcement, setAnnouncement] = useState<{ text: string; n: number }>({ text: "", n: 0 });
  /** True while this panel makes the reader a guest (their first question): no list to fetch for that. */
  const becomingGuest = useRef(false);
  /** Chats created in this tab → when, for a list that was on its way meanwhile. */
  const createdHere = useRef(new Map<string, number>());

  const announce = useCallback((text: string) => setAnnouncement((a) => ({ text, n: a.n + 1 })), []);

  const setActive = useCallback((id: string | null) => {
    activeRef.current = id;
    setActiveIdState(id);
    save({ chatId: id });
  }, []);

  const updateChat = useCallback((chatId: string, fn: (messages: UiMessage[]) => UiMessage[]) => {
    setByChat((all) => ({ ...all, [chatId]: fn(all[chatId] ?? []) }));
  }, []);

  const updateMessage = useCallback(
    (chatId: string, id: string, fn: (m: UiMessage) => UiMessage) =>
      updateChat(chatId, (ms) => ms.map((m) => (m.id === id ? { ...fn(m), key: m.key ?? m.id } : m))),
    [updateChat],
  );

  /** The chat moves to the top of the list (newest first), titled by its first question as the server does. */
  const touchChat = useCallback((chatId: string, question?: string) => {
    setList((l) => {
      const chat = l.chats.find((c) => c.id === chatId);
      if (!chat) return l;
      const title = question && chat.title === DEFAULT_CHAT_TITLE ? titleFromQuestion(question) || chat.title : chat.title;
      return { ...l, chats: [{ ...chat, title, updatedAt: new Date().toISOString() }, ...l.chats.filter((c) => c.id !== chatId)] };
    });
  }, []);

  // ---- loading ----------------------------------------------------------------------------

  const listSeq = useRef(0);
  const loadList = useCallback(async () => {
    const n = ++listSeq.current;
    const asked = Date.now();
    setList((l) => ({ ...l, status: "loading", error: null }));
    try {
      const page = await listChats();
      if (n !== listSeq.current) return;
      setList((l) => {
        // A chat this tab created while the list was on its way is still the newest.
        const have = new Set(page.chats.map((c) => c.id));
        const fresh = l.chats.filter((c) => (createdHere.current.get(c.id) ?? 0) >= asked && !have.has(c.id));
        return { status: "ready", chats: [...fresh, ...page.chats], nextCursor: page.nextCursor, loadingMore: false, error: null };
      });
    } catch (e) {
      if (n !== listSeq.current) return;
      if (e instanceof ApiError && e.status === 401) setList({ status: "ready", chats: [], nextCursor: null, loadingMore: false, error: null });
      else setList((l) => ({ ...l, status: "error", error: e }));
    }
  }, []);

  const loadMore = useCallback(async () => {
    const cursor = list.nextCursor;
    if (!cursor || list.loadingMore) return;
    const n = listSeq.current;
    setList((l) => ({ ...l, loadingMore: true, error: null }));
    try {
      const page = await listChats(cursor);
      if (n !== listSeq.current) return;
      setList((l) => {
        const have = new Set(l.chats.map((c) => c.id));
        return { ...l, chats: [...l.chats, ...page.chats.filter((c) => !have.has(c.id))], nextCursor: page.nextCursor, loadingMore: false };
      });
    } catch (e) {
      if (n === listSeq.current) setList((l) => ({ ...l, loadingMore: false, error: e }));
    }
  }, [list.nextCursor, list.loadingMore]);

  const chatSeq = useRef(0);
  /** Read a chat from the server (unless an answer is streaming into it from here: ours is newer). */
  const loadChat = useCallback(
    async (chatId: string, { quiet = false }: { quiet?: boolean } = {}) => {
      if (streams.current.has(chatId)) return;
      const n = ++chatSeq.current;
      if (!quiet) setChatStatus("loading");
      setChatError(null);
      try {
        const chat = await getChat(chatId);
        if (n !== chatSeq.current || activeRef.current !== chatId || streams.current.has(chatId)) return;
        setByChat((all) => ({ ...all, [chatId]: chat.messages }));
        setEarlier((all) => ({ ...all, [chatId]: { cursor: chat.earlierCursor, loading: false, error: null } }));
        setChatStatus("ready");
        const { messages: _, earlierCursor: __, ...summary } = chat;
        setLoaded(summary);
        setList((l) => (l.chats.some((c) => c.id === chatId) ? { ...l, chats: l.chats.map((c) => (c.id === chatId ? summary : c)) } : l));
      } catch (e) {
        if (n !== chatSeq.current || activeRef.current !== chatId) return;
        if (e instanceof ApiError && (e.status === 404 || e.status === 401)) {
          // Deleted elsewhere, or not this reader's (another account signed in): start afresh.
          setActive(null);
          setChatStatus("ready");
          setList((l) => ({ ...l, chats: l.chats.filter((c) => c.id !== chatId) }));
          if (e.status === 404) setSendError(chatErrorMessage(e));
        } else {
          setChatStatus("error");
          setChatError(e);
        }
      }
    },
    [setActive],
  );

  /**
   * After a stop or a lost connection: the server finishes the answer's record (interrupted or
   * error) a moment later. Wait for that, then show the server's version (with real ids).
   */
  const syncChat = useCallback(async (chatId: string, owner?: AbortController): Promise<ChatMessage[] | null> => {
    const superseded = () => {
      const current = streams.current.get(chatId);
      return current !== undefined && current !== owner;
    };
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((r) => setTimeout(r, attempt === 0 ? 250 : 500));
      let chat;
      try {
        chat = await getChat(chatId);
      } catch {
        return null;
      }
      if (chat.messages.some((m) => m.status === "streaming") && attempt < 9) continue;
      if (superseded()) return null; // a new answer started meanwhile: it wins
      setByChat((all) => {
        // Keep our words for the last answer ("You stopped this answer.") if the server agrees it did not complete.
        const mine = all[chatId]?.filter((m) => m.role === "assistant").at(-1);
        const theirs = chat.messages.filter((m) => m.role === "assistant").at(-1);
        // Earlier pages the reader opened stay: the server sent only the latest page.
        const latest = new Set(chat.messages.map((m) => m.id));
        const firstLatest = (all[chatId] ?? []).findIndex((m) => latest.has(m.id));
        const kept = firstLatest > 0 ? (all[chatId] ?? []).slice(0, firstLatest) : [];
        return {
          ...all,
          [chatId]: [...kept, ...chat.messages.map((m) => (m === theirs && mine?.problem && m.status !== "complete" ? { ...m, problem: mine.problem } : m))],
        };
      });
      return chat.messages;
    }
    return null;
  }, []);

  // Who the reader is decides which chats there are. Guest → account (they registered or signed
  // in): the server moved the chats, so the list and the open chat are read again.
  const prevIdentity = useRef<Identity | null>(null);
  useEffect(() => {
    if (identity === "loading") return;
    const prev = prevIdentity.current;
    prevIdentity.current = identity;
    if (identity === "none") {
      for (const c of streams.current.values()) c.abort();
      setList({ status: "ready", chats: [], nextCursor: null, loadingMore: false, error: null });
      if (prev !== null || activeRef.current) {
        setActive(null);
        setByChat({});
      }
      setChatStatus("ready");
      return;
    }
    if (prev === "none" && identity === "guest" && becomingGuest.current) return;
    if (prev !== null && prev !== "guest" && identity !== prev) {
      // A different account: nothing of the previous one stays on screen.
      setByChat({});
      setActive(null);
    }
    void loadList();
    if (activeRef.current) void loadChat(activeRef.current, { quiet: prev !== null });
  }, [identity, loadList, loadChat, setActive]);

  // The wait after a 429 ends by itself.
  useEffect(() => {
    if (!limit) return;
    const t = setTimeout(() => setLimit(null), Math.max(0, limit.until - Date.now()));
    return () => clearTimeout(t);
  }, [limit]);

  // ---- answering --------------------------------------------------------------------------

  const startStream = useCallback((chatId: string, messageId: string) => {
    const controller = new AbortController();
    streams.current.set(chatId, controller);
    setLive((l) => ({ ...l, [chatId]: messageId }));
    return controller;
  }, []);

  const endStream = useCallback((chatId: string, controller: AbortController) => {
    if (streams.current.get(chatId) === controller) streams.current.delete(chatId);
    setLive((l) => {
      const { [chatId]: _, ...rest } = l;
      return rest;
    });
  }, []);

  const onLimit = useCallback(
    (e: ApiError & { anonymous?: boolean }) => {
      const seconds = e.retryAfter ?? (e.code === "CHAT_QUOTA_EXCEEDED" ? 3600 : 10);
      setLimit({
        kind: e.code === "CHAT_QUOTA_EXCEEDED" ? "quota" : "rate",
        until: Date.now() + seconds * 1000,
        message: chatErrorMessage(e),
        guest: e.anonymous === true || guest,
      });
    },
    [guest],
  );

  /** Handlers that write an answer's stream into its chat (wherever the reader is looking). */
  const writer = useCallback(
    (chatId: () => string, answerId: string) => ({
      onToken: (text: string) => updateMessage(chatId(), answerId, (m) => ({ ...m, content: m.content + text })),
      onDone: (answer: ChatMessage) => {
        updateMessage(chatId(), answerId, () => answer);
        if (activeRef.current === chatId()) {
          const n = answer.citations.length;
          announce(`Answer complete${n ? `, with ${n} source${n === 1 ? "" : "s"}` : ""}.`);
        }
      },
      onError: ({ code, message, answer }: { code: string; message: string; answer: ChatMessage | null }) => {
        const problem = message || answerProblem(code);
        updateMessage(chatId(), answerId, (m) => ({ ...(answer ?? m), status: "error", errorCode: code, problem }));
        if (activeRef.current === chatId()) announce(`The answer failed. ${problem}`);
      },
    }),
    [updateMessage, announce],
  );

  /** Ask a question in the open chat (a new one if none). Resolves false when the question was not taken: it goes back to the composer. */
  const send = useCallback(
    async (text: string): Promise<boolean> => {
      const content = text.trim();
      const startedIn = activeRef.current;
      if (!content || streams.current.has(startedIn ?? NEW)) return false;
      setSendError(null);
      const questionId = localId("q");
      const answerId = localId("a");
      const now = new Date().toISOString();
      const blank = { errorCode: null, createdAt: now, local: true };
      let chatId = startedIn ?? NEW;
      updateChat(chatId, (ms) => [
        ...ms,
        { ...blank, id: questionId, role: "user", content, status: "complete", citations: [] },
        { ...blank, id: answerId, role: "assistant", content: "", status: "streaming", citations: [] },
      ]);
      let controller = startStream(chatId, answerId);
      let accepted = false;
      try {
        if (!startedIn) {
          becomingGuest.current = true;
          let chat: ChatSummary;
          try {
            chat = await createChat();
          } finally {
            becomingGuest.current = false;
          }
          // The unsaved chat becomes this one.
          endStream(NEW, controller);
          const moved = controller;
          setByChat((all) => {
            const { [NEW]: pending = [], ...rest } = all;
            return { ...rest, [chat.id]: pending };
          });
          chatId = chat.id;
          createdHere.current.set(chat.id, Date.now());
          controller = startStream(chatId, answerId);
          if (moved.signal.aborted) controller.abort();
          if (activeRef.current === null) setActive(chat.id);
          setList((l) => ({ ...l, status: l.status === "idle" ? "ready" : l.status, chats: [chat, ...l.chats.filter((c) => c.id !== chat.id)] }));
        }
        const id = chatId;
        const write = writer(() => id, answerId);
        await streamAnswer(`/chats/${encodeURIComponent(id)}/messages`, { content }, controller.signal, {
          onOpen: () => {
            accepted = true;
            touchChat(id, content);
          },
          onQuestion: (m) => updateMessage(id, questionId, () => m),
          ...write,
        });
        return true;
      } catch (e) {
        if (controller.signal.aborted) {
          updateMessage(chatId, answerId, (m) => ({ ...m, status: "interrupted", errorCode: "INTERRUPTED", problem: "You stopped this answer." }));
          if (activeRef.current === chatId) announce("Answer stopped.");
          if (chatId !== NEW) void syncChat(chatId);
          return true;
        }
        if (!accepted) {
          // Not stored: the question goes back to the composer, and says why.
          updateChat(chatId, (ms) => ms.filter((m) => m.id !== questionId && m.id !== answerId));
          if (e instanceof ApiError && e.status === 429) onLimit(e);
          else if (e instanceof ApiError && e.code === "CHAT_NOT_FOUND") {
            setActive(null);
            setList((l) => ({ ...l, chats: l.chats.filter((c) => c.id !== chatId) }));
            setSendError(`${chatErrorMessage(e)} Your question is back in the box: send it to start a new chat.`);
          } else setSendError(chatErrorMessage(e, { maxChars: chatLimits.maxChars }));
          return false;
        }
        updateMessage(chatId, answerId, (m) => ({ ...m, status: "error", errorCode: "NETWORK_ERROR", problem: answerProblem("NETWORK_ERROR") }));
        if (activeRef.current === chatId) announce(`The answer failed. ${answerProblem("NETWORK_ERROR")}`);
        void syncChat(chatId);
        return true;
      } finally {
        endStream(chatId, controller);
      }
    },
    [updateChat, updateMessage, startStream, endStream, setActive, touchChat, writer, announce, syncChat, onLimit],
  );

  /** Ask again for a failed or stopped answer (the server replaces it). */
  const retry = useCallback(
    async (message: UiMessage) => {
      const chatId = activeRef.current;
      if (!chatId || streams.current.has(chatId)) return;
      setSendError(null);
      const controller = startStream(chatId, message.id);
      const before = message;
      let target: ChatMessage | undefined = message;
      try {
        if (message.local) {
          // Stopped before the server named it: its record tells us which answer to retry.
          const server = await syncChat(chatId, controller);
          target = server?.filter((m) => m.role === "assistant").at(-1);
          if (!target || (target.status !== "error" && target.status !== "interrupted")) return;
          setLive((l) => ({ ...l, [chatId]: target!.id }));
        }
        const id = target.id;
        updateMessage(chatId, id, (m) => ({ ...m, status: "streaming", content: "", citations: [], errorCode: null, problem: undefined }));
        await streamAnswer(`/chats/${encodeURIComponent(chatId)}/messages/${encodeURIComponent(id)}/retry`, {}, controller.signal, {
          onOpen: () => touchChat(chatId),
          ...writer(() => chatId, id),
        });
      } catch (e) {
        const id = target?.id ?? message.id;
        if (controller.signal.aborted) {
          updateMessage(chatId, id, (m) => ({ ...m, status: "interrupted", errorCode: "INTERRUPTED", problem: "You stopped this answer." }));
          announce("Answer stopped.");
          void syncChat(chatId);
        } else if (e instanceof ApiError && e.status === 429) {
          updateMessage(chatId, id, () => before);
          onLimit(e);
        } else if (e instanceof ApiError && e.code === "NOTHING_TO_RETRY") {
          setSendError(chatErrorMessage(e));
          void loadChat(chatId, { quiet: true });
        } else if (e instanceof ApiError && e.status > 0) {
          updateMessage(chatId, id, () => ({ ...before, problem: chatErrorMessage(e) }));
        } else {
          updateMessage(chatId, id, (m) => ({ ...m, status: "error", errorCode: "NETWORK_ERROR", problem: answerProblem("NETWORK_ERROR") }));
          void syncChat(chatId);
        }
      } finally {
        endStream(chatId, controller);
      }
    },
    [startStream, endStream, syncChat, updateMessage, touchChat, writer, announce, onLimit, loadChat],
  );

  const stop = useCallback(() => streams.current.get(activeRef.current ?? NEW)?.abort(), []);

  // ---- chats ------------------------------------------------------------------------------

  const openChat = useCallback(
    (chatId: string) => {
      setSendError(null);
      setActive(chatId);
      if (streams.current.has(chatId)) return setChatStatus("ready");
      void loadChat(chatId);
    },
    [setActive, loadChat],
  );

  const newChat = useCallback(() => {
    setSendError(null);
    setActive(null);
    setChatStatus("ready");
  }, [setActive]);

  const rename = useCallback(async (chatId: string, title: string) => {
    const updated = await renameChat(chatId, title);
    setList((l) => ({ ...l, chats: l.chats.map((c) => (c.id === chatId ? { ...c, title: updated.title } : c)) }));
  }, []);

  const remove = useCallback(
    async (chatId: string) => {
      await deleteChat(chatId);
      streams.current.get(chatId)?.abort();
      setList((l) => ({ ...l, chats: l.chats.filter((c) => c.id !== chatId) }));
      setByChat((all) => {
        const { [chatId]: _, ...rest } = all;
        return rest;
      });
      if (activeRef.current === chatId) newChat();
    },
    [newChat],
  );

  /** The page of messages before those shown, put in front of them. */
  const loadEarlier = useCallback(async () => {
    const chatId = activeRef.current;
    const cursor = chatId ? earlier[chatId]?.cursor : null;
    if (!chatId || !cursor || earlier[chatId]?.loading) return;
    setEarlier((all) => ({ ...all, [chatId]: { cursor, loading: true, error: null } }));
    try {
      const page = await getChat(chatId, undefined, cursor);
      setByChat((all) => {
        const shown = all[chatId] ?? [];
        const have = new Set(shown.map((m) => m.id));
        return { ...all, [chatId]: [...page.messages.filter((m) => !have.has(m.id)), ...shown] };
      });
      setEarlier((all) => ({ ...all, [chatId]: { cursor: page.earlierCursor, loading: false, error: null } }));
    } catch (e) {
      setEarlier((all) => ({ ...all, [chatId]: { cursor, loading: false, error: e } }));
    }
  }, [earlier]);

  const messages = byChat[activeId ?? NEW] ?? [];
  const earlierState = (activeId && earlier[activeId]) || { cursor: null, loading: false, error: null };
  const liveId = live[activeId ?? NEW] ?? null;
  return useMemo(
    () => ({
      identity,
      guest,
      list,
      loadList,
      loadMore,
      activeId,
      activeChat: list.chats.find((c) => c.id === activeId) ?? (loaded?.id === activeId ? loaded : null),
      messages,
      /** Older messages exist before those shown (`loadEarlier` brings the previous page). */
      hasEarlier: earlierState.cursor !== null,
      loadingEarlier: earlierState.loading,
      earlierError: earlierState.error,
      loadEarlier,
      chatStatus,
      chatError,
      reloadChat: () => activeId && loadChat(activeId),
      liveId,
      streaming: liveId !== null,
      sendError,
      clearSendError: () => setSendError(null),
      limit,
      announcement,
      send,
      stop,
      retry,
      openChat,
      newChat,
      rename,
      remove,
    }),
    [identity, guest, list, loaded, loadList, loadMore, activeId, messages, earlierState, loadEarlier, chatStatus, chatError, loadChat, liveId, sendError, limit, announcement, send, stop, retry, openChat, newChat, rename, remove],
  );
}

export type ChatSession = ReturnType<typeof useChatSession>;
