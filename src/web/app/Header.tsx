import { Link } from "react-router";
import { useAuth } from "../auth/AuthProvider.tsx";
import { useAuthDialogs } from "../auth/AuthDialogs.tsx";
import { useBook } from "../book/BookProvider.tsx";
import { CHAT_TOGGLE_ATTR, useChatUi } from "../chat/ChatContext.tsx";
import { UserMenu } from "./UserMenu.tsx";

interface HeaderProps {
  tocOpen: boolean;
  onToggleToc(): void;
  onSearch(): void;
}

/** Book title, the table-of-contents toggle, search, "Ask the book", and sign-in / register or the reader's menu. */
export function Header({ tocOpen, onToggleToc, onSearch }: HeaderProps) {
  const { state } = useAuth();
  const chat = useChatUi();
  const { openSignIn, openRegister } = useAuthDialogs();
  const { state: book } = useBook();
  const title = book.book?.title ?? "AI Book";

  return (
    <header className="site-header">
      <button type="button" className="toc-toggle" aria-expanded={tocOpen} aria-controls="toc" onClick={onToggleToc}>
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <path d="M4 6h16M4 12h16M4 18h16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <span className="toc-toggle-label">Contents</span>
      </button>
      <Link to="/" className="brand" data-testid="book-title">
        {book.status === "loading" ? (
          <>
            <span className="visually-hidden">AI Book</span>
            <span className="brand-skeleton" aria-hidden="true" />
          </>
        ) : (
          title
        )}
      </Link>
      <button type="button" className="search-toggle" aria-haspopup="dialog" aria-keyshortcuts="/ Control+K Meta+K" onClick={onSearch}>
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <circle cx="11" cy="11" r="6.5" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M16 16l4.5 4.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <span className="search-toggle-label">Search</span>
        <kbd className="search-toggle-key" aria-hidden="true">
          /
        </kbd>
      </button>
      <button
        type="button"
        className="chat-toggle"
        aria-expanded={chat.open}
        aria-controls={chat.mounted ? "chat-panel" : undefined}
        onClick={chat.toggleChat}
        {...{ [CHAT_TOGGLE_ATTR]: "" }}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <path
            d="M4 5.5A1.5 1.5 0 0 1 5.5 4h13A1.5 1.5 0 0 1 20 5.5v9a1.5 1.5 0 0 1-1.5 1.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5z"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            strokeLinejoin="round"
          />
        </svg>
        <span className="chat-toggle-label">Ask the book</span>
      </button>
      {/* Fixed size while the session loads: nothing in the header moves when it arrives. */}
      <div className="auth-area" aria-busy={state.status === "loading" || undefined}>
        {state.status === "loading" ? (
          <span className="auth-skeleton" aria-hidden="true" />
        ) : state.status === "signed-in" ? (
          <UserMenu />
        ) : (
          <>
            <button type="button" className="button button-ghost" aria-haspopup="dialog" onClick={() => openSignIn()}>
              Sign in
            </button>
            <button type="button" className="button button-primary" aria-haspopup="dialog" onClick={openRegister}>
              Register
            </button>
          </>
        )}
      </div>
    </header>
  );
}
