import { Hono } from "hono";
import { ApiError } from "../http/errors.ts";
import { chapterSummary, neighbours, type Book } from "./book.ts";
import { CHAPTER_SLUG } from "./slug.ts";

/**
 * /api/v1/book — the table of contents and the chapters, public (no sign-in needed to read).
 * Rate limited by the /api/v1 limit in app.ts. Slugs are looked up in memory, never on disk.
 */
const notFound = () => new ApiError(404, "CHAPTER_NOT_FOUND", "There is no chapter with this name in the book.");

export function bookRoutes(book: () => Book) {
  const app = new Hono();

  app.get("/", (c) => {
    const b = book();
    return c.json({ title: b.title, description: b.description, chapters: b.chapters.map(chapterSummary) });
  });

  app.get("/chapters/:slug", (c) => {
    const slug = c.req.param("slug");
    if (!CHAPTER_SLUG.test(slug)) throw notFound();
    const b = book();
    const chapter = b.find(slug);
    if (!chapter) throw notFound();
    return c.json({
      slug: chapter.slug,
      title: chapter.title,
      description: chapter.description,
      html: chapter.html,
      headings: chapter.headings,
      ...neighbours(b, chapter),
    });
  });

  return app;
}
