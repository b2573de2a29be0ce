import { useEffect, useMemo, useRef, useState, type MouseEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { AskAboutSelection } from "../chat/AskAboutSelection.tsx";
import { useChatUi } from "../chat/ChatContext.tsx";
import { chapterPath } from "../../shared/api/book.ts";
import { useAnnounce } from "../ui/Announcer.tsx";
import { LoadingPage, useDocumentTitle } from "../ui/bits.tsx";
import { cachedChapter, fetchChapter, type Chapter } from "./book-api.ts";
import { drawDiagrams, enhanceCodeBlocks, enhanceTabs, loadMathStyles, revealTarget } from "./chapter-enhance.ts";
import { BookmarkButton } from "../place/BookmarkButton.tsx";
import { useReadingProgress } from "../place/use-reading-progress.ts";

type Load = { status: "loading" } | { status: "ready"; chapter: Chapter } | { status: "error"; error: unknown };

/** `/read/<slug>`: one chapter with its headings, the server-sanitised HTML, and previous/next. */
export function ChapterRoute() {
  const { "*": slug = "" } = useParams();
  // A fresh page per chapter: no flash of the previous chapter's state.
  return <ChapterPage key={slug} slug={slug} />;
}

function ChapterPage({ slug }: { slug: string }) {
  const [load, setLoad] = useState<Load>(() => {
    const hit = cachedChapter(slug);
    return hit ? { status: "ready", chapter: hit } : { status: "loading" };
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const hit = cachedChapter(slug);
    if (hit) return setLoad({ status: "ready", chapter: hit });
    const ctrl = new AbortController();
    setLoad({ status: "loading" });
    fetchChapter(slug, ctrl.signal).then(
      (chapter) => setLoad({ status: "ready", chapter }),
      (error: unknown) => {
        if (!ctrl.signal.aborted) setLoad({ status: "error", error });
      },
    );
    return () => ctrl.abort();
  }, [slug, attempt]);

  useDocumentTitle(load.status === "ready" ? load.chapter.title : load.status === "error" ? "Chapter not available" : null);

  if (load.status === "loading") {
    return <LoadingPage className="chapter" heading="Loading the chapter" label="Loading the chapter…" lines={10} />;
  }
  if (load.status === "error") {
    const notFound = load.error instanceof ApiError && (load.error.code === "CHAPTER_NOT_FOUND" || load.error.status === 404);
    return notFound ? (
      <div className="page-content">
        <h1>Chapter not found</h1>
        <p>There is no chapter called “{slug}” in this book. It may have been renamed or removed.</p>
        <p>
          <Link to="/" className="button button-primary">
            See all chapters
          </Link>
        </p>
      </div>
    ) : (
      <div className="page-content">
        <h1>This chapter didn't load</h1>
        <p className="notice notice-error" role="alert">
          {errorMessage(load.error)}
        </p>
        <button type="button" className="button button-primary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  return <ChapterView chapter={load.chapter} />;
}

function ChapterView({ chapter }: { chapter: Chapter }) {
  const navigate = useNavigate();
  const location = useLocation();
  const articleRef = useRef<HTMLDivElement>(null);
  const { openChat } = useChatUi();
  const announce = useAnnounce();
  const onPage = chapter.headings.filter((h) => h.depth >= 2 && h.depth <= 3);
  const anchors = useMemo(() => onPage.map((h) => h.id), [chapter.slug]); // eslint-disable-line react-hooks/exhaustive-deps
  const section = useReadingProgress(chapter.slug, articleRef, anchors);
  const sectionTitle = (section && onPage.find((h) => h.id === section)?.text) || chapter.title;

  // Copy buttons, tabs, diagrams, formulas' styles: before the #anchor effect, which may need a tab opened.
  useEffect(() => {
    const root = articleRef.current;
    if (!root) return;
    loadMathStyles(root);
    const cleanups = [enhanceCodeBlocks(root, announce), enhanceTabs(root), drawDiagrams(root)];
    return () => cleanups.forEach((c) => c());
  }, [chapter.slug, announce]);

  // #heading anchors: scroll once the chapter's HTML is on the page (also on in-page hash changes,
  // and again when the same link is followed twice, e.g. a chat citation). The heading takes focus
  // (reading and Tab go on from there) and is highlighted for a moment: SPA navigation sets no :target.
  useEffect(() => {
    if (!location.hash) return;
    let id: string;
    try {
      id = decodeURIComponent(location.hash.slice(1));
    } catch {
      return;
    }
    const target = document.getElementById(id);
    if (!target || !articleRef.current?.contains(target)) return;
    revealTarget(target);
    target.scrollIntoView();
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    target.classList.remove("flash-target");
    void target.offsetWidth; // restart the highlight
    target.classList.add("flash-target");
    const t = window.setTimeout(() => target.classList.remove("flash-target"), 2500);
    return () => {
      window.clearTimeout(t);
      target.classList.remove("flash-target");
    };
  }, [location.hash, location.key, chapter.slug]);

  // Wide code blocks and tables scroll sideways: make those reachable by keyboard (WCAG 2.1.1).
  useEffect(() => {
    const root = articleRef.current;
    if (!root) return;
    const mark = () => {
      for (const el of root.querySelectorAll<HTMLElement>("pre, table")) {
        if (el.scrollWidth > el.clientWidth + 1) el.tabIndex = 0;
        else el.removeAttribute("tabindex");
      }
    };
    mark();
    const observer = new ResizeObserver(mark);
    observer.observe(root);
    return () => observer.disconnect();
  }, [chapter.slug]);

  // Links inside the chapter to other pages of the site stay in the app (no full reload).
  function onArticleClick(e: MouseEvent<HTMLDivElement>) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element).closest("a");
    if (!a || (a.target && a.target !== "_self") || a.hasAttribute("download")) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith("/read/")) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  }

  return (
    <div className="page-content chapter">
      <article aria-labelledby="chapter-title">
        <header className="chapter-header">
          {/* The page's one h1 (the server takes the chapter's own `# heading` out of its HTML). */}
          <h1 id="chapter-title">{chapter.heading}</h1>
          {chapter.description && <p className="lead">{chapter.description}</p>}
        </header>
        {/* Sticky inside the article: the bookmark follows the section in view as the reader scrolls. */}
        <div className="chapter-toolbar">
          <button type="button" className="button button-secondary button-small ask-chapter" onClick={() => openChat({ prefill: `About the chapter “${chapter.title}”:\n` })}>
            Ask about this chapter
          </button>
          <BookmarkButton slug={chapter.slug} anchor={section} sectionTitle={sectionTitle} />
        </div>
        {onPage.length > 1 && (
          <nav className="on-this-page" aria-labelledby="on-this-page-title">
            <p id="on-this-page-title" className="on-this-page-title">
              On this page
            </p>
            <ul>
              {onPage.map((h) => (
                <li key={h.id} className={`depth-${h.depth}`}>
                  <a href={`#${encodeURIComponent(h.id)}`}>{h.text}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {/* The server sanitises chapter HTML (src/server/book/sanitize.ts); nothing else is ever injected. */}
        <div ref={articleRef} className="prose" onClick={onArticleClick} dangerouslySetInnerHTML={{ __html: chapter.html }} />
      </article>
      <AskAboutSelection rootRef={articleRef} />
      <nav className="chapter-pager" aria-label="Chapters">
        {chapter.prev ? (
          <Link to={chapterPath(chapter.prev.slug)} rel="prev" className="pager-link pager-prev">
            <span className="pager-label">Previous chapter</span>
            <span className="pager-title">{chapter.prev.title}</span>
          </Link>
        ) : (
          <span />
        )}
        {chapter.next ? (
          <Link to={chapterPath(chapter.next.slug)} rel="next" className="pager-link pager-next">
            <span className="pager-label">Next chapter</span>
            <span className="pager-title">{chapter.next.title}</span>
          </Link>
        ) : (
          <Link to="/" className="pager-link pager-next">
            <span className="pager-label">The end</span>
            <span className="pager-title">Back to the contents</span>
          </Link>
        )}
      </nav>
    </div>
  );
}
