import { useId, useLayoutEffect, useRef } from "react";
import { Link } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { SkeletonLines, Spinner } from "../ui/bits.tsx";
import { answerProblem } from "./chat-errors.ts";
import { citationHref, citationLabel, uniqueCitations } from "./citations.ts";
import { Markdown } from "./Markdown.tsx";
import type { Citation } from "./chat-api.ts";
import type { ChatSession, UiMessage } from "./use-chat-session.ts";

interface ConversationProps {
  session: ChatSession;
  /** A citation was followed (on a phone the panel gets out of the way). */
  onCitation(): void;
}

/** The open chat's messages, newest at the bottom, kept in view while an answer streams in. */
export function Conversation({ session, onCitation }: ConversationProps) {
  const { messages, chatStatus, chatError, liveId, streaming } = session;
  const scrollRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  /** Where the reader was when earlier messages were asked for: kept in place once they arrive. */
  const beforePrepend = useRef<{ height: number; top: number } | null>(null);

  // Follow the answer as it grows, unless the reader scrolled up to read something else.
  const count = messages.length;
  const last = messages[count - 1];
  const lastKey = last ? (last.key ?? last.id) : null;
  const lastText = last?.content.length ?? 0;
  const firstId = messages[0]?.id;
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lastKey, lastText, chatStatus]);
  // A new question always brings the bottom into view.
  useLayoutEffect(() => {
    stick.current = true;
  }, [lastKey, session.activeId]);
  // Earlier messages put in front: the message the reader was looking at stays where it was.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const was = beforePrepend.current;
    if (!el || !was) return;
    el.scrollTop = el.scrollHeight - was.height + was.top;
    beforePrepend.current = null;
  }, [firstId]);

  const showEarlier = () => {
    const el = scrollRef.current;
    if (el) beforePrepend.current = { height: el.scrollHeight, top: el.scrollTop };
    void session.loadEarlier();
  };

  return (
    <div
      ref={scrollRef}
      className="chat-scroll"
      role="region"
      aria-label="Conversation"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
      }}
    >
      {chatStatus === "loading" ? (
        <SkeletonLines lines={5} label="Loading the chat…" />
      ) : chatStatus === "error" ? (
        <div className="notice notice-error" role="alert">
          <p>The chat didn't load. {errorMessage(chatError)}</p>
          <button type="button" className="button button-secondary button-small" onClick={() => void session.reloadChat()}>
            Try again
          </button>
        </div>
      ) : count === 0 ? (
        <div className="chat-intro">
          <p className="chat-intro-lead">Ask anything about the book.</p>
          <p>Answers come from the chapters, with links to the sections they quote. Select text in a chapter and choose “Ask about this” to ask about it.</p>
        </div>
      ) : (
        <>
        {session.hasEarlier ? (
          <div className="chat-earlier">
            {session.earlierError ? (
              <p role="alert" className="notice notice-error">
                Earlier messages didn't load. {errorMessage(session.earlierError)}
              </p>
            ) : null}
            <button type="button" className="button button-secondary button-small" onClick={showEarlier} disabled={session.loadingEarlier} aria-busy={session.loadingEarlier || undefined}>
              {session.loadingEarlier ? (
                <>
                  <Spinner /> Loading earlier messages…
                </>
              ) : (
                "Show earlier messages"
              )}
            </button>
          </div>
        ) : null}
        <ol className="chat-messages" data-testid="chat-messages" aria-busy={streaming || undefined}>
          {messages.map((m) => (
            <MessageItem
              key={m.key ?? m.id}
              message={m}
              live={m.id === liveId}
              canRetry={!streaming}
              onRetry={() => void session.retry(m)}
              onCheckAgain={() => void session.reloadChat()}
              onCitation={onCitation}
            />
          ))}
        </ol>
        </>
      )}
    </div>
  );
}

interface MessageItemProps {
  message: UiMessage;
  /** Streaming into this tab right now. */
  live: boolean;
  canRetry: boolean;
  onRetry(): void;
  onCheckAgain(): void;
  onCitation(): void;
}

function MessageItem({ message: m, live, canRetry, onRetry, onCheckAgain, onCitation }: MessageItemProps) {
  if (m.role === "user") {
    return (
      <li className="msg msg-user" data-testid="question">
        <h3 className="visually-hidden">You asked</h3>
        {/* The reader's own words, as typed: plain text, never Markdown or HTML. */}
        <p className="msg-body msg-text">{m.content}</p>
      </li>
    );
  }
  const failed = m.status === "error" || m.status === "interrupted";
  const elsewhere = m.status === "streaming" && !live;
  const cited = m.status === "complete" ? m.citations : [];
  return (
    <li className="msg msg-assistant" data-testid="answer" data-status={m.status} aria-busy={live || undefined}>
      <h3 className="visually-hidden">Answer</h3>
      <div className="msg-body md">
        {m.content ? (
          <Markdown text={m.content} citations={cited} />
        ) : live ? (
          <p className="msg-thinking">
            <Spinner /> Looking through the book…
          </p>
        ) : null}
        {live && m.content && <span className="msg-caret" aria-hidden="true" />}
      </div>
      {elsewhere && (
        <p className="msg-note">
          This answer is still being written.{" "}
          <button type="button" className="link-button" onClick={onCheckAgain}>
            Check again
          </button>
        </p>
      )}
      {failed && (
        <div className={`msg-problem ${m.status === "interrupted" ? "stopped" : "failed"}`} data-testid="answer-problem">
          <p>{m.problem ?? answerProblem(m.errorCode)}</p>
          <button type="button" className="button button-secondary button-small" onClick={onRetry} disabled={!canRetry}>
            Retry
          </button>
        </div>
      )}
      {m.status !== "streaming" && m.content && m.citations.length > 0 && <Sources citations={m.citations} onFollow={onCitation} />}
    </li>
  );
}

function Sources({ citations, onFollow }: { citations: Citation[]; onFollow(): void }) {
  const id = useId();
  return (
    <div className="sources">
      <p className="sources-title" id={id}>
        Sources
      </p>
      <ul aria-labelledby={id}>
        {uniqueCitations(citations).map((c) => (
          <li key={citationHref(c)}>
            <Link to={citationHref(c)} onClick={onFollow}>
              {citationLabel(c)}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
