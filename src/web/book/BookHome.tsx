import { Link } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { LoadingPage, useDocumentTitle } from "../ui/bits.tsx";
import { useBook } from "./BookProvider.tsx";

/** `/`: the book's title, description and chapters. */
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
      {book.description && <p className="lead">{book.description}</p>}
      {book.chapters.length === 0 ? (
        <section className="empty-state" aria-labelledby="empty-title">
          <h2 id="empty-title">No chapters yet</h2>
          <p>This book has no chapters to read yet. Chapters appear here as soon as they are added to the book's folder.</p>
        </section>
      ) : (
        <>
          {first && (
            <p>
              <Link className="button button-primary" to={`/read/${first.slug}`}>
                Start reading
              </Link>
            </p>
          )}
          <section aria-labelledby="chapters-title">
            <h2 id="chapters-title">Chapters</h2>
            <ol className="chapter-list">
              {book.chapters.map((c) => (
                <li key={c.slug}>
                  <Link to={`/read/${c.slug}`} className="chapter-card">
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
          </section>
        </>
      )}
    </div>
  );
}
