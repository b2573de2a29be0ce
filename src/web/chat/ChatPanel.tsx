import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useAuthDialogs } from "../auth/AuthDialogs.tsx";
import { ChatList } from "./ChatList.tsx";
import { useChatUi } from "./ChatContext.tsx";
import { Composer } from "./Composer.tsx";
import { Conversation } from "./Conversation.tsx";
import { DEFAULT_CHAT_TITLE } from "./chat-api.ts";
import { useChatSession } from "./use-chat-session.ts";

const PROMPT_KEY = "aibook.chat.prompt";

function promptDismissed(): boolean {
  try {
    return sessionStorage.getItem(PROMPT_KEY) === "dismissed";
  } catch {
    return false;
  }
}

/**
 * The chat beside the reader (a column on wide screens, full screen on phones): the reader's
 * chats, the open conversation and the question box. Loaded on first open (ChatSlot.tsx).
 */
export default function ChatPanel() {
  const ui = useChatUi();
  const session = useChatSession();
  const { openRegister } = useAuthDialogs();
  const [view, setView] = useState<"chat" | "list">("chat");
  const [dismissed, setDismissed] = useState(promptDismissed);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const listButtonRef = useRef<HTMLButtonElement>(null);
  const newButtonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);

  // Each "open" (header button, "Ask about this") shows the conversation and puts focus in the box.
  const n = ui.prefill?.n ?? 0;
  useEffect(() => {
    if (n === 0) return;
    setView("chat");
    requestAnimationFrame(() => inputRef.current?.focus());
  }, [n]);

  // Phone: the panel is the page for now; Tab stays inside it (the rest is inert, see Layout).
  useEffect(() => {
    if (ui.open && ui.modal && !panelRef.current?.contains(document.activeElement)) {
      requestAnimationFrame(() => (inputRef.current ?? panelRef.current)?.focus());
    }
  }, [ui.open, ui.modal]);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    // Esc closes the panel, unless something inside (a rename, a dialog) used it.
    if (e.key !== "Escape" || e.defaultPrevented || (e.target as Element).closest("dialog")) return;
    e.preventDefault();
    ui.closeChat();
  }

  function showChat(id: string | null) {
    if (id === null) session.newChat();
    else session.openChat(id);
    setView("chat");
    requestAnimationFrame(() => inputRef.current?.focus());
  }

  const guestPrompt =
    session.identity === "guest" && !dismissed && session.messages.length > 0 && !(session.limit?.kind === "quota" && session.limit.guest);
  const title = session.activeId ? (session.activeChat?.title ?? DEFAULT_CHAT_TITLE) : DEFAULT_CHAT_TITLE;

  return (
    <div
      id="chat-panel"
      ref={panelRef}
      className="chat-panel"
      role={ui.modal ? "dialog" : "complementary"}
      aria-modal={ui.modal || undefined}
      aria-labelledby="chat-panel-title"
      hidden={!ui.open}
      tabIndex={-1}
      onKeyDown={onKeyDown}
      data-testid="chat-panel"
    >
      <div className="chat-head">
        <h2 id="chat-panel-title">Ask the book</h2>
        <button type="button" className="icon-button" aria-label="Close the chat" title="Close (Esc)" onClick={() => ui.closeChat()}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      <div className="chat-toolbar">
        <button
          ref={listButtonRef}
          type="button"
          className="button button-ghost button-small"
          aria-pressed={view === "list"}
          onClick={() => {
            if (view === "list") return showChat(session.activeId);
            setView("list");
            if (session.list.status !== "loading" && session.identity !== "none") void session.loadList();
          }}
        >
          <svg aria-hidden="true" viewBox="0 0 20 20" width="16" height="16">
            <path d="M3 5h14M3 10h14M3 15h9" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
          Your chats
        </button>
        <button ref={newButtonRef} type="button" className="button button-ghost button-small" onClick={() => showChat(null)}>
          <svg aria-hidden="true" viewBox="0 0 20 20" width="16" height="16">
            <path d="M10 4v12M4 10h12" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
          New chat
        </button>
      </div>

      {view === "list" && (
        <div className="chat-scroll">
          <ChatList session={session} onOpen={(id) => showChat(id)} fallbackFocus={() => newButtonRef.current} />
        </div>
      )}
      {/* Kept mounted behind the list, so a half-typed question survives a look at the list. */}
      <div className="chat-view" hidden={view !== "chat"}>
        <p className="chat-title" data-testid="chat-title">
          {title}
        </p>
        {guestPrompt && (
          <div className="notice notice-info chat-prompt" data-testid="guest-prompt">
            <p>
              <strong>Create a free account to keep your chats.</strong> Guest chats live in this browser only.
            </p>
            <p className="button-row">
              <button type="button" className="button button-primary button-small" aria-haspopup="dialog" onClick={openRegister}>
                Register
              </button>
              <button
                type="button"
                className="button button-ghost button-small"
                onClick={() => {
                  setDismissed(true);
                  try {
                    sessionStorage.setItem(PROMPT_KEY, "dismissed");
                  } catch {
                    /* private mode */
                  }
                  inputRef.current?.focus();
                }}
              >
                Not now
              </button>
            </p>
          </div>
        )}
        <Conversation
          session={session}
          onCitation={() => {
            if (ui.modal) ui.closeChat({ returnFocus: false });
          }}
        />
        <Composer
          inputRef={inputRef}
          streaming={session.streaming}
          limit={session.limit}
          sendError={session.sendError}
          onSend={session.send}
          onStop={session.stop}
          onEdit={session.clearSendError}
          onRegister={openRegister}
          prefill={ui.prefill}
        />
      </div>
      {/* Said once an answer is complete (or stopped, or failed): never token by token. */}
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="chat-status">
        {session.announcement.text && <span key={session.announcement.n}>{session.announcement.text}</span>}
      </div>
    </div>
  );
}
