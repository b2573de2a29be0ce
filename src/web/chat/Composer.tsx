import { useEffect, useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent, type Ref } from "react";
import { formatWait } from "../api/error-messages.ts";
import { useCountdown } from "../ui/bits.tsx";
import { chatLimits } from "./chat-api.ts";
import type { Limit } from "./use-chat-session.ts";

interface ComposerProps {
  inputRef: Ref<HTMLTextAreaElement>;
  streaming: boolean;
  limit: Limit | null;
  sendError: string | null;
  /** Resolves false when the question was not taken: it comes back into the box. */
  onSend(text: string): Promise<boolean>;
  onStop(): void;
  onEdit(): void;
  onRegister(): void;
  /** Text to put in the box (a selection from the chapter), with a counter so the same text can come twice. */
  prefill: { text: string; n: number } | null;
}

/** Characters as the server counts them (code points), so the counter and the server agree. */
const length = (s: string) => [...s.trim()].length;

/**
 * The question box: Enter sends, Shift+Enter starts a new line. Sending is off while an answer
 * is written (Stop generating is offered instead), while a 429 wait runs, and over the length
 * limit, which a counter shows from 80% of it.
 */
export function Composer({ inputRef, streaming, limit, sendError, onSend, onStop, onEdit, onRegister, prefill }: ComposerProps) {
  const [text, setText] = useState("");
  const id = useId();
  const ownRef = useRef<HTMLTextAreaElement | null>(null);
  const max = chatLimits.maxChars;
  const count = length(text);
  const near = count >= Math.floor(max * 0.8);
  const over = count > max;
  const wait = useCountdown(limit?.until ?? 0);
  const waiting = limit !== null && wait > 0;
  const canSend = !streaming && !over && count > 0 && !waiting;

  // A prefill (e.g. `About: "…"`) goes before whatever the reader had already typed.
  const lastPrefill = useRef(0);
  useEffect(() => {
    if (!prefill || prefill.n === lastPrefill.current) return;
    lastPrefill.current = prefill.n;
    if (prefill.text) setText((t) => (t.trim() ? `${prefill.text}${t}` : prefill.text));
  }, [prefill]);

  // Put the caret at the end after a prefill (once React has the new value in the box).
  useLayoutEffect(() => {
    const el = ownRef.current;
    if (!el || !prefill?.text || document.activeElement !== el) return;
    el.setSelectionRange(el.value.length, el.value.length);
  }, [prefill, text]);

  // Stop generating disappears when the answer ends: focus it had goes to the box, not the page.
  const stopFocused = useRef(false);
  useEffect(() => {
    if (!streaming && stopFocused.current) {
      stopFocused.current = false;
      ownRef.current?.focus();
    }
  }, [streaming]);

  async function submit() {
    if (!canSend) return;
    const sent = text;
    setText("");
    ownRef.current?.focus();
    const ok = await onSend(sent);
    if (!ok) setText((t) => (t.trim() ? t : sent));
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key !== "Enter" || e.shiftKey || e.altKey || e.nativeEvent.isComposing) return;
    e.preventDefault();
    void submit();
  }

  const hintId = `${id}-hint`;
  const counterId = `${id}-counter`;
  const setRefs = (el: HTMLTextAreaElement | null) => {
    ownRef.current = el;
    if (typeof inputRef === "function") inputRef(el);
    else if (inputRef) (inputRef as { current: HTMLTextAreaElement | null }).current = el;
  };

  return (
    <form
      className="composer"
      aria-label="Ask a question"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void submit();
      }}
    >
      {sendError && (
        <p className="notice notice-error composer-notice" role="alert">
          {sendError}
        </p>
      )}
      {limit && waiting && (
        <div className={`notice ${limit.kind === "quota" ? "notice-info" : "notice-error"} composer-notice`} role="status" data-testid="chat-limit">
          <p>
            {limit.message}{" "}
            {limit.kind === "rate" ? (
              <strong className="countdown">Wait {wait} s.</strong>
            ) : (
              !limit.guest && <span>Try again in {formatWait(wait)}.</span>
            )}
          </p>
          {limit.kind === "quota" && limit.guest && (
            <p className="button-row">
              <button type="button" className="button button-primary button-small" aria-haspopup="dialog" onClick={onRegister}>
                Create a free account
              </button>
            </p>
          )}
        </div>
      )}
      <label htmlFor={id} className="composer-label">
        Your question
      </label>
      <textarea
        id={id}
        ref={setRefs}
        name="question"
        rows={2}
        value={text}
        placeholder="Ask anything about the book…"
        onChange={(e) => {
          setText(e.target.value);
          if (sendError) onEdit();
        }}
        onKeyDown={onKeyDown}
        aria-describedby={near ? `${counterId} ${hintId}` : hintId}
        aria-invalid={over || undefined}
        spellCheck
      />
      <div className="composer-bar">
        <p id={hintId} className="composer-hint">
          <kbd>Enter</kbd> to send, <kbd>Shift</kbd>+<kbd>Enter</kbd> for a new line
        </p>
        {near && (
          <p id={counterId} className={`composer-counter${over ? " over" : ""}`} data-testid="chat-counter">
            {over ? `${(count - max).toLocaleString("en")} characters over the limit` : `${count.toLocaleString("en")} / ${max.toLocaleString("en")}`}
          </p>
        )}
        {streaming ? (
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              onStop();
              ownRef.current?.focus();
            }}
            onFocus={() => (stopFocused.current = true)}
            onBlur={() => (stopFocused.current = false)}
          >
            <span className="stop-icon" aria-hidden="true" />
            Stop generating
          </button>
        ) : (
          <button type="submit" className="button button-primary" disabled={!canSend}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
