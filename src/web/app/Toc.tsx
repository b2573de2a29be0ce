import { useEffect, useRef } from "react";
import { Link, useLocation } from "react-router";
import { chapterPath } from "../../shared/api/book.ts";
import { useBook } from "../book/BookProvider.tsx";
import { isFlat } from "../book/contents.ts";
import { ContentsTree } from "./ContentsTree.tsx";
import { ProgressMark } from "../place/ProgressMark.tsx";

/** The chapter slug in a `/read/…` path, or null. */
function currentSlug(pathname: string): string | null {
  if (!pathname.startsWith("/read/")) return null;
  try {
    return decodeURIComponent(pathname.slice("/read/".length));
  } catch {
    return null;
  }
}

interface TocProps {
  open: boolean;
  /** Narrow screens: an overlay drawer (the rest of the page is inert while it is open). */
  drawer: boolean;
  onClose(): void;
}

/**
 * The book's contents, as a sidebar on wide screens and a drawer on narrow ones: numbered chapters
 * for a folder of Markdown, the sidebar's tree of categories for a Docusaurus site.
 */
export function Toc({ open, drawer, onClose }: TocProps) {
  const { state, retry } = useBook();
  const { pathname } = useLocation();
  const ref = useRef<HTMLElement>(null);
  const current = currentSlug(pathname);

  // The current chapter in view in the contents (a long sidebar scrolls on its own).
  useEffect(() => {
    if (!open || state.status !== "ready") return;
    const link = ref.current?.querySelector<HTMLElement>("[aria-current=page]");
    link?.scrollIntoView?.({ block: "nearest" });
  }, [open, pathname, state.status]);

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
              <li>
                <Link to="/account/bookmarks" aria-current={pathname === "/account/bookmarks" ? "page" : undefined}>
                  Bookmarks
                </Link>
              </li>
              {isFlat(state.book.contents) ? (
                state.book.contents.map((c, i) =>
                  c.type === "doc" ? (
                    <li key={c.slug}>
                      <Link to={chapterPath(c.slug)} aria-current={current === c.slug ? "page" : undefined}>
                        <span className="toc-number" aria-hidden="true">
                          {i + 1}.
                        </span>{" "}
                        {c.label}
                        <ProgressMark slug={c.slug} />
                      </Link>
                    </li>
                  ) : null,
                )
              ) : (
                <ContentsTree items={state.book.contents} current={current} />
              )}
            </ol>
          ))}
      </nav>
    </aside>
  );
}
