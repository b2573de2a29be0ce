import { Link } from "react-router";
import { chapterPath } from "../../shared/api/book.ts";
import { useBook } from "../book/BookProvider.tsx";
import { progressLabel } from "./format.tsx";
import { usePlace } from "./PlaceProvider.tsx";

/** The home page's "Continue reading": the chapter read last, at its section. Nothing for a new reader. */
export function ContinueReading() {
  const { latest } = usePlace();
  const { state } = useBook();
  if (!latest || state.status !== "ready") return null;
  const chapter = state.book.chapters.find((c) => c.slug === latest.chapterSlug);
  if (!chapter) return null;
  return (
    <section className="continue-reading" aria-labelledby="continue-title">
      <h2 id="continue-title">Continue reading</h2>
      <p>
        <Link className="button button-primary" to={`${chapterPath(chapter.slug)}${latest.anchor ? `#${latest.anchor}` : ""}`}>
          {chapter.title}
        </Link>{" "}
        <span className="continue-progress">{progressLabel(latest)}</span>
      </p>
    </section>
  );
}
