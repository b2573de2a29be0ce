import { useEffect, useRef } from "react";
import { Link, useLocation } from "react-router";
import { useBook } from "../book/BookProvider.tsx";

interface TocProps {
  open: boolean;
  /** Narrow screens: an overlay drawer (the rest of the page is inert while it is open). */
  drawer: boolean;
  onClose(): void;
}

/** The book's chapters, as a sidebar on wide screens and a drawer on narrow ones. */
export function Toc({ open, drawer, onClose }: TocProps) {
  const { state, retry } = useBook();
  const { pathname } = useLocation();
  const ref = useRef<HTMLElement>(null);

  useEffect(() => {
    if (!drawer || !open) return;
    const root = ref.current;
    (root?.querySelector<HTMLElement>("[aria-current=page]") ?? root?.querySelector<HTMLElement>("a, button"))?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        onClose();
        document.querySelector<HTMLElement>(".toc-toggle")?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawer, open, onClose]);

  return (
    <aside id="toc" ref={ref} className={`toc ${drawer ? "toc-drawer" : "toc-sidebar"}`} hidden={!open} aria-label="Book contents">
      <nav aria-labelledby="toc-title">
        <div className="toc-head">
          <p id="toc-title" className="toc-title">
            Contents
          </p>
          {drawer && (
            <button type="button" className="icon-button" aria-label="Close contents" onClick={onClose}>
              <span aria-hidden="true">×</span>
            </button>
          )}
        </div>
        {state.status === "loading" && (
          <ul className="toc-list" aria-busy="true">
            {[70, 55, 80, 60].map((w, i) => (
              <li key={i}>
                <span className="skeleton-line" style={{ width: `${w}%` }} aria-hidden="true" />
              </li>
            ))}
          </ul>
        )}
        {state.status === "error" && (
          <p className="toc-empty">
            The contents didn't load.{" "}
            <button type="button" className="link-button" onClick={retry}>
              Try again
            </button>
          </p>
        )}
        {state.status === "ready" &&
          (state.book.chapters.length === 0 ? (
            <p className="toc-empty">No chapters yet.</p>
          ) : (
            <ol className="toc-list">
              <li>
                <Link to="/" aria-current={pathname === "/" ? "page" : undefined}>
                  Home
                </Link>
              </li>
              {state.book.chapters.map((c) => {
                const to = `/read/${c.slug}`;
                return (
                  <li key={c.slug}>
                    <Link to={to} aria-current={pathname === to ? "page" : undefined}>
                      <span className="toc-number" aria-hidden="true">
                        {c.order}.
                      </span>{" "}
                      {c.title}
                    </Link>
                  </li>
                );
              })}
            </ol>
          ))}
      </nav>
    </aside>
  );
}
