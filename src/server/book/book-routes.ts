import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../http/errors.ts";
import { errorResponse, jsonResponse, route } from "../http/route.ts";
import { bookSchema, chapterParams, chapterSchema } from "../../shared/api/book.ts";
import { chapterSummary, neighbours, type Book } from "./book.ts";

/**
 * /api/v1/book — the table of contents and the chapters, public (no sign-in needed to read).
 * Rate limited by the /api/v1 limit in app.ts. Slugs are looked up in memory, never on disk.
 */
const getBook = createRoute({
  method: "get",
  path: "/",
  summary: "The book: title, tagline, description, chapters in reading order, and the contents tree",
  security: [],
  responses: { 200: jsonResponse(bookSchema, "Book") },
});

const getChapter = createRoute({
  method: "get",
  path: "/chapters/{slug}",
  summary: "One chapter as sanitised HTML with its headings and neighbours (a slug with `/` is sent as %2F)",
  security: [],
  request: { params: chapterParams },
  responses: { 200: jsonResponse(chapterSchema, "Chapter"), 404: errorResponse(404, "CHAPTER_NOT_FOUND") },
});

const notFound = () => new ApiError(404, "CHAPTER_NOT_FOUND", "There is no chapter with this name in the book.");

export function bookRoutes(book: () => Book) {
  const app = new OpenAPIHono();

  route(app, getBook, (c) => {
    const b = book();
    return c.json({ title: b.title, tagline: b.tagline, description: b.description, chapters: b.chapters.map(chapterSummary), contents: b.contents });
  });

  route(app, getChapter, (c) => {
    const params = chapterParams.safeParse(c.req.param());
    if (!params.success) throw notFound();
    const b = book();
    const chapter = b.find(params.data.slug);
    if (!chapter) throw notFound();
    return c.json({
      slug: chapter.slug,
      title: chapter.title,
      heading: chapter.heading,
      kind: chapter.kind,
      description: chapter.description,
      html: chapter.html,
      headings: chapter.headings,
      ...neighbours(b, chapter),
    });
  });

  return app;
}
