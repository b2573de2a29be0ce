import { Link } from "react-router";
import { chapterPath } from "../../shared/api/book.ts";
import { errorMessage } from "../api/error-messages.ts";
import { LoadingPage, useDocumentTitle } from "../ui/bits.tsx";
import type { ContentsItem } from "./book-api.ts";
import { useBook } from "./BookProvider.tsx";
import { isFlat } from "./contents.ts";
import { ContinueReading } from "../place/ContinueReading.tsx";

/** `/`: the book's title, tagline or description, and its chapters (a Docusaurus site's: its sidebar, all open). */
export function BookHome() {
  const { state, retry } = useBook();
  useDocumentTitle(state.book?.title ?? "AI Book");

  if (state.status === "loading") {
    return <LoadingPage heading="Loading the book" label="Loading the table of contents…" lines={4} />;
  }

  if (state.status === "error") {
    return (
      <div className="page-content">
        <h1>The book didn't load</h1>
        <p className="notice notice-error" role="alert">
          {errorMessage(state.error)}
        </p>
        <button type="button" className="button button-primary" onClick={retry}>
          Try again
        </button>
      </div>
    );
  }

  const { book } = state;
  const first = book.chapters[0];
  return (
    <div className="page-content book-home">
      <h1>{book.title}</h1>
      {book.tagline && <p className="lead">{book.tagline}</p>}
      {book.description && <p className={book.tagline ? undefined : "lead"}>{book.description}</p>}
      {book.chapters.length === 0 ? (
        <section className="empty-state" aria-labelledby="empty-title">
          <h2 id="empty-title">No chapters yet</h2>
          <p>This book has no chapters to read yet. Chapters appear here as soon as they are added to the book's folder.</p>
        </section>
      ) : (
        <>
          <ContinueReading />
          {first && (
            <p>
              <Link className="button button-primary" to={chapterPath(first.slug)}>
                Start reading
              </Link>
            </p>
          )}
          <section aria-labelledby="chapters-title">
            <h2 id="chapters-title">{isFlat(book.contents) ? "Chapters" : "Contents"}</h2>
            {isFlat(book.contents) ? (
              <ol className="chapter-list">
                {book.chapters.map((c) => (
                  <li key={c.slug}>
                    <Link to={chapterPath(c.slug)} className="chapter-card">
                      <span className="chapter-number" aria-hidden="true">
                        {c.order}
                      </span>
                      <span className="chapter-text">
                        <span className="chapter-title">{c.title}</span>
                        {c.description && <span className="chapter-description">{c.description}</span>}
                      </span>
                    </Link>
                  </li>
                ))}
              </ol>
            ) : (
              <Outline items={book.contents} />
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** The whole contents as nested lists, every category open: the book at a glance. */
function Outline({ items }: { items: readonly ContentsItem[] }) {
  return (
    <ul className="book-outline">
      {items.map((item, i) => (
        <li key={i}>
          {item.type === "doc" ? (
            <Link to={chapterPath(item.slug)}>{item.label}</Link>
          ) : item.type === "link" ? (
            <a href={item.href} target="_blank" rel="noopener noreferrer">
              {item.label}
              <span className="visually-hidden"> (opens in a new tab)</span>
            </a>
          ) : (
            <>
              <span className="book-outline-category">{item.link ? <Link to={chapterPath(item.link.slug)}>{item.label}</Link> : item.label}</span>
              {item.items.length > 0 && <Outline items={item.items} />}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
