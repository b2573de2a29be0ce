import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { useNavigate } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { marked } from "./format.tsx";
import { searchBook, type SearchResult } from "./place-api.ts";

/** Wait this long after the last key before asking: one request per pause, not per letter. */
const DEBOUNCE_MS = 150;

type Found = { status: "idle" } | { status: "loading" } | { status: "ready"; query: string; results: SearchResult[] } | { status: "error"; error: unknown };

/**
 * Search the book (issue 14, item 8): a modal dialog with a combobox and its listbox (WAI-ARIA
 * APG "Combobox", list autocomplete): ↑/↓ move through the results while focus stays in the
 * field, Enter opens one at its section, Escape closes. Stale requests are aborted.
 */
export function SearchDialog({ onClose }: { onClose(): void }) {
  const navigate = useNavigate();
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<Found>({ status: "idle" });
  const [active, setActive] = useState(-1);
  const listId = useId();
  const titleId = useId();
  const statusId = useId();
  const ctrl = useRef<AbortController | null>(null);

  useEffect(() => {
    const q = query.trim();
    ctrl.current?.abort();
    if (!q) {
      setFound({ status: "idle" });
      return;
    }
    const mine = new AbortController();
    ctrl.current = mine;
    const timer = window.setTimeout(() => {
      setFound((f) => (f.status === "ready" ? f : { status: "loading" }));
      searchBook(q.slice(0, 200), mine.signal).then(
        (r) => {
          setFound({ status: "ready", query: q, results: r.results });
          setActive(r.results.length ? 0 : -1);
        },
        (error: unknown) => {
          if (!mine.signal.aborted) setFound({ status: "error", error });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      mine.abort();
    };
  }, [query]);

  const results = found.status === "ready" ? found.results : [];

  function open(r: SearchResult) {
    onClose();
    navigate(r.url);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown" && results.length) {
      e.preventDefault();
      setActive((i) => (i + 1) % results.length);
    } else if (e.key === "ArrowUp" && results.length) {
      e.preventDefault();
      setActive((i) => (i <= 0 ? results.length - 1 : i - 1));
    } else if (e.key === "Enter" && active >= 0 && results[active]) {
      e.preventDefault();
      open(results[active]);
    }
  }

  useEffect(() => {
    if (active >= 0) document.getElementById(`${listId}-${active}`)?.scrollIntoView?.({ block: "nearest" });
  }, [active, listId]);

  const status =
    found.status === "loading"
      ? "Searching…"
      : found.status === "ready"
        ? found.results.length === 0
          ? `Nothing in the book matches “${found.query}”.`
          : `${found.results.length} ${found.results.length === 1 ? "result" : "results"}. Use the up and down arrows to choose, Enter to open.`
        : "";

  return (
    <Dialog labelledBy={titleId} onClose={onClose} className="search-dialog" testId="search-dialog">
      <h2 id={titleId} className="visually-hidden">
        Search the book
      </h2>
      <div className="search-field">
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <circle cx="11" cy="11" r="6.5" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M16 16l4.5 4.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
        </svg>
        <input
          data-autofocus
          type="text"
          role="combobox"
          aria-label="Search the book"
          aria-autocomplete="list"
          aria-expanded={results.length > 0}
          aria-controls={listId}
          aria-activedescendant={active >= 0 && results[active] ? `${listId}-${active}` : undefined}
          aria-describedby={statusId}
          placeholder="Search the book"
          autoComplete="off"
          spellCheck={false}
          maxLength={200}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onKeyDown}
        />
      </div>
      <p id={statusId} className="search-status" role="status">
        {status}
      </p>
      {found.status === "error" && (
        <p className="notice notice-error" role="alert">
          The search didn't work: {errorMessage(found.error)}
        </p>
      )}
      <ul id={listId} role="listbox" aria-label="Results" className="search-results" hidden={results.length === 0}>
        {results.map((r, i) => (
          <li
            key={`${r.url}-${i}`}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className="search-result"
            onMouseMove={() => setActive(i)}
            onClick={() => open(r)}
          >
            <span className="search-result-where">
              {r.chapterTitle}
              {r.sectionTitle !== r.chapterTitle && <> › {r.sectionTitle}</>}
            </span>
            <span className="search-result-snippet">{marked(r.snippet, r.highlights)}</span>
          </li>
        ))}
      </ul>
      {found.status === "idle" && <p className="search-hint">Type to search titles, headings and text. Press / or Ctrl K anywhere to come back here.</p>}
    </Dialog>
  );
}

/** Whether a key press lands in something the reader is typing in. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}

/** `/` or Ctrl-K / Cmd-K opens the search from anywhere, except while the reader types in a field. */
export function useSearchShortcut(open: () => void): void {
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey) return;
      const k = e.key.toLowerCase();
      const shortcut = ((k === "k" && (e.ctrlKey || e.metaKey) && !e.shiftKey) || (e.key === "/" && !e.ctrlKey && !e.metaKey)) && !typingIn(e.target);
      if (!shortcut || document.querySelector("dialog[open]")) return;
      e.preventDefault();
      open();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);
}
