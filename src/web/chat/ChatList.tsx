import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { SkeletonLines, Spinner } from "../ui/bits.tsx";
import type { ChatSummary } from "./chat-api.ts";
import { chatErrorMessage } from "./chat-errors.ts";
import type { ChatSession } from "./use-chat-session.ts";

const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

/** "14:05" today, "12 Mar 2026" before. */
function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toDateString() === new Date().toDateString() ? time.format(d) : day.format(d);
}

interface ChatListProps {
  session: ChatSession;
  onOpen(id: string): void;
  /** Where focus goes when the focused row disappears (deleted). */
  fallbackFocus(): HTMLElement | null;
}

/** The reader's chats, newest first: open, rename in place, delete (after a confirmation), load more. */
export function ChatList({ session, onOpen, fallbackFocus }: ChatListProps) {
  const { list, activeId } = session;
  const [deleting, setDeleting] = useState<ChatSummary | null>(null);
  const titleId = useId();
  const rootRef = useRef<HTMLElement>(null);

  return (
    <section className="chat-list" aria-labelledby={titleId} ref={rootRef}>
      <h3 id={titleId} className="chat-list-title">
        Your chats
      </h3>
      {list.status === "loading" && list.chats.length === 0 ? (
        <SkeletonLines lines={4} label="Loading your chats…" />
      ) : list.status === "error" && list.chats.length === 0 ? (
        <div className="notice notice-error" role="alert">
          <p>Your chats didn't load. {errorMessage(list.error)}</p>
          <button type="button" className="button button-secondary button-small" onClick={() => void session.loadList()}>
            Try again
          </button>
        </div>
      ) : list.chats.length === 0 ? (
        <p className="chat-empty">No chats yet. Ask a question and it will be kept here.</p>
      ) : (
        <ul className="chat-rows">
          {list.chats.map((c) => (
            <ChatRow key={c.id} chat={c} active={c.id === activeId} onOpen={() => onOpen(c.id)} onRename={(t) => session.rename(c.id, t)} onDelete={() => setDeleting(c)} />
          ))}
        </ul>
      )}
      {list.nextCursor && (
        <p className="chat-more">
          <button type="button" className="button button-secondary button-small" onClick={() => void session.loadMore()} disabled={list.loadingMore} aria-busy={list.loadingMore || undefined}>
            {list.loadingMore && <Spinner />}
            {list.loadingMore ? "Loading…" : "Load more"}
          </button>
        </p>
      )}
      {list.status !== "error" && list.error != null && list.chats.length > 0 && (
        <p className="notice notice-error" role="alert">
          {errorMessage(list.error)}
        </p>
      )}
      {deleting && (
        <DeleteChatDialog
          chat={deleting}
          onClose={() => setDeleting(null)}
          onDelete={async () => {
            const index = list.chats.findIndex((c) => c.id === deleting.id);
            await session.remove(deleting.id);
            setDeleting(null);
            // Focus the next chat's row (or the one before), else the toolbar. Two frames: after
            // the dialog has handed focus back (to the deleted row's place) on its own.
            requestAnimationFrame(() =>
              requestAnimationFrame(() => {
                const rows = rootRef.current?.querySelectorAll<HTMLElement>(".chat-open");
                const next = rows?.[Math.min(index, rows.length - 1)];
                (next ?? fallbackFocus())?.focus();
              }),
            );
          }}
        />
      )}
    </section>
  );
}

interface ChatRowProps {
  chat: ChatSummary;
  active: boolean;
  onOpen(): void;
  onRename(title: string): Promise<void>;
  onDelete(): void;
}

function ChatRow({ chat, active, onOpen, onRename, onDelete }: ChatRowProps) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(chat.title);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const renameRef = useRef<HTMLButtonElement>(null);
  const inputId = useId();
  const refocus = useRef(false);

  useEffect(() => {
    if (editing) {
      inputRef.current?.focus();
      inputRef.current?.select();
    } else if (refocus.current) {
      refocus.current = false;
      renameRef.current?.focus();
    }
  }, [editing]);

  function cancel() {
    refocus.current = true;
    setEditing(false);
    setTitle(chat.title);
    setError(null);
  }

  async function save(e?: FormEvent) {
    e?.preventDefault();
    const next = title.trim();
    if (!next) return setError("Give the chat a title.");
    if (next === chat.title) return cancel();
    setSaving(true);
    setError(null);
    try {
      await onRename(next);
      refocus.current = true;
      setEditing(false);
    } catch (err) {
      setError(chatErrorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  if (editing) {
    const errorId = `${inputId}-error`;
    return (
      <li className="chat-row editing">
        <form className="chat-rename" onSubmit={(e) => void save(e)}>
          <label htmlFor={inputId} className="visually-hidden">
            Chat title
          </label>
          <input
            id={inputId}
            ref={inputRef}
            type="text"
            value={title}
            maxLength={120}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                // Esc cancels the rename only (the panel stays open).
                e.preventDefault();
                e.stopPropagation();
                cancel();
              }
            }}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            disabled={saving}
          />
          <button type="submit" className="button button-primary button-small" disabled={saving}>
            Save
          </button>
          <button type="button" className="button button-ghost button-small" onClick={cancel} disabled={saving}>
            Cancel
          </button>
          {error && (
            <p id={errorId} className="field-error">
              {error}
            </p>
          )}
        </form>
      </li>
    );
  }

  return (
    <li className="chat-row" data-active={active || undefined}>
      <button type="button" className="chat-open" onClick={onOpen} aria-current={active ? "true" : undefined}>
        <span className="chat-row-title">{chat.title}</span>
        <span className="chat-row-date">{when(chat.updatedAt)}</span>
      </button>
      <button ref={renameRef} type="button" className="chat-action" aria-label={`Rename “${chat.title}”`} title="Rename" onClick={() => setEditing(true)}>
        <svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18">
          <path d="M13.5 3.5l3 3L7 16H4v-3z" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinejoin="round" />
        </svg>
      </button>
      <button type="button" className="chat-action" aria-label={`Delete “${chat.title}”`} title="Delete" aria-haspopup="dialog" onClick={onDelete}>
        <svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18">
          <path d="M4 6h12M8 6V4h4v2M6 6l1 10h6l1-10" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinejoin="round" />
        </svg>
      </button>
    </li>
  );
}

function DeleteChatDialog({ chat, onClose, onDelete }: { chat: ChatSummary; onClose(): void; onDelete(): Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog labelledBy="delete-chat-title" describedBy="delete-chat-desc" onClose={onClose} className="danger-dialog" testId="delete-chat-dialog">
      <h2 id="delete-chat-title">Delete this chat?</h2>
      <p id="delete-chat-desc">
        “{chat.title}” and all its messages will be deleted. This can't be undone.
      </p>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <p className="button-row">
        <button
          type="button"
          className="button button-danger"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await onDelete();
            } catch (e) {
              setError(chatErrorMessage(e));
              setBusy(false);
            }
          }}
        >
          {busy && <Spinner />}
          Delete chat
        </button>
        <button type="button" className="button button-secondary" onClick={onClose} disabled={busy} data-autofocus>
          Cancel
        </button>
      </p>
    </Dialog>
  );
}
