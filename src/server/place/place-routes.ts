import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Services } from "../services.ts";
import { ApiError } from "../http/errors.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { RULES } from "../rate-limit/rules.ts";
import { chapterPath } from "../../shared/api/book.ts";
import {
  bookmarkListSchema,
  bookmarkParams,
  bookmarkSchema,
  createBookmarkBody,
  progressBody,
  progressListSchema,
  progressParams,
  progressSchema,
  updateBookmarkBody,
  type Bookmark,
} from "../../shared/api/place.ts";
import type { Book, Chapter } from "../book/book.ts";
import { MAX_BOOKMARKS, type BookmarkRow, type PlaceStore } from "./place-store.ts";

/**
 * /api/v1/me/progress and /api/v1/me/bookmarks — the reader's place in the book (issue 14, item 8),
 * for accounts and guests alike (a guest's move into their account: chat/anonymous-merge.ts).
 * Another reader's bookmark is 404, never 403 (ASVS 8.2.2).
 */
const chapterNotFound = errorResponse(404, "CHAPTER_NOT_FOUND: the book has no such chapter");
const badSection = "SECTION_NOT_FOUND: the chapter has no heading with this anchor";
const bookmarkNotFound = errorResponse(404, "BOOKMARK_NOT_FOUND: no such bookmark, or another reader's");

const putProgress = createRoute({
  method: "put",
  path: "/progress/{slug}",
  summary: "Record how far the reader got in a chapter (a slug with `/` is sent as %2F)",
  description: "The section reached and the fraction of the chapter; `completed` (or a fraction of 1) marks it read, and a read chapter stays read.",
  request: { params: progressParams, body: { required: true, content: { "application/json": { schema: progressBody } } } },
  responses: {
    200: jsonResponse(progressSchema, "The chapter's progress"),
    ...errorResponses(401, 429, 503),
    400: errorResponse(400, `VALIDATION_FAILED, INVALID_JSON, INVALID_CHARACTERS or ${badSection}`),
    404: chapterNotFound,
  },
});

const listProgress = createRoute({
  method: "get",
  path: "/progress",
  summary: "The reader's progress in every chapter they opened, latest first",
  responses: { 200: jsonResponse(progressListSchema, "Progress"), ...errorResponses(401, 503) },
});

const postBookmark = createRoute({
  method: "post",
  path: "/bookmarks",
  summary: "Bookmark a section, with an optional note (a section already bookmarked is answered with its bookmark, 200)",
  request: { body: { required: true, content: { "application/json": { schema: createBookmarkBody } } } },
  responses: {
    201: jsonResponse(bookmarkSchema, "The new bookmark"),
    200: jsonResponse(bookmarkSchema, "The section's existing bookmark (its note replaced when one was sent)"),
    ...errorResponses(401, 429, 503),
    400: errorResponse(400, `VALIDATION_FAILED, INVALID_JSON, INVALID_CHARACTERS or ${badSection}`),
    404: chapterNotFound,
    409: errorResponse(409, `TOO_MANY_BOOKMARKS: at most ${MAX_BOOKMARKS}`),
  },
});

const listBookmarks = createRoute({
  method: "get",
  path: "/bookmarks",
  summary: "The reader's bookmarks, newest first",
  responses: { 200: jsonResponse(bookmarkListSchema, "Bookmarks"), ...errorResponses(401, 503) },
});

const patchBookmark = createRoute({
  method: "patch",
  path: "/bookmarks/{id}",
  summary: "Change a bookmark's note (null removes it)",
  request: { params: bookmarkParams, body: { required: true, content: { "application/json": { schema: updateBookmarkBody } } } },
  responses: { 200: jsonResponse(bookmarkSchema, "The bookmark"), ...errorResponses(400, 401, 429, 503), 404: bookmarkNotFound },
});

const deleteBookmark = createRoute({
  method: "delete",
  path: "/bookmarks/{id}",
  summary: "Delete a bookmark",
  request: { params: bookmarkParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(401, 429, 503), 404: bookmarkNotFound },
});

const noChapter = () => new ApiError(404, "CHAPTER_NOT_FOUND", "There is no chapter with this name in the book.");
const noBookmark = () => new ApiError(404, "BOOKMARK_NOT_FOUND", "No such bookmark.");

/** The chapter and section a request names, or the 4xx that says which is missing. */
function placeIn(book: Book, slug: string, anchor: string | null | undefined): { chapter: Chapter; anchor: string | null } {
  const chapter = book.find(slug);
  if (!chapter) throw noChapter();
  if (anchor && !chapter.headings.some((h) => h.id === anchor)) {
    throw new ApiError(400, "SECTION_NOT_FOUND", "The chapter has no section with this anchor.");
  }
  return { chapter, anchor: anchor ?? null };
}

function bookmarkView(book: Book, b: BookmarkRow): Bookmark {
  const chapter = book.find(b.chapterSlug);
  return {
    ...b,
    chapterTitle: chapter?.title ?? null,
    sectionTitle: b.anchor ? (chapter?.headings.find((h) => h.id === b.anchor)?.text ?? null) : null,
    url: `${chapterPath(b.chapterSlug)}${b.anchor ? `#${b.anchor}` : ""}`,
  };
}

export function placeRoutes(s: Services, store: PlaceStore) {
  const app = new OpenAPIHono<CallerEnv>();
  app.use("/progress/*", s.callers.requireCaller());
  app.use("/progress", s.callers.requireCaller());
  app.use("/bookmarks/*", s.callers.requireCaller());
  app.use("/bookmarks", s.callers.requireCaller());
  const book = () => s.book.current();
  const reader = (c: Context<CallerEnv>) => c.get("caller").userId;
  const throttle = async (c: Context<CallerEnv>) => {
    if (s.config.rateLimit) await s.limits.consume(RULES.place, reader(c));
  };
  const bookmarkId = (c: Context<CallerEnv>) => {
    const id = bookmarkParams.safeParse({ id: c.req.param("id") });
    if (!id.success) throw noBookmark();
    return id.data.id;
  };

  route(app, listProgress, async (c) => c.json({ progress: await store.listProgress(reader(c)) }));

  route(app, putProgress, async (c) => {
    const slug = progressParams.safeParse({ slug: c.req.param("slug") });
    if (!slug.success) throw noChapter();
    const body = await jsonBody(c, progressBody);
    await throttle(c);
    const place = placeIn(book(), slug.data.slug, body.anchor);
    return c.json(await store.saveProgress(reader(c), place.chapter.slug, { anchor: place.anchor, fraction: body.fraction, completed: body.completed ?? false }));
  });

  route(app, listBookmarks, async (c) => {
    const b = book();
    return c.json({ bookmarks: (await store.listBookmarks(reader(c))).map((row) => bookmarkView(b, row)) });
  });

  route(app, postBookmark, async (c) => {
    const body = await jsonBody(c, createBookmarkBody);
    await throttle(c);
    const b = book();
    const place = placeIn(b, body.chapterSlug, body.anchor);
    if ((await store.countBookmarks(reader(c))) >= MAX_BOOKMARKS) {
      throw new ApiError(409, "TOO_MANY_BOOKMARKS", `A reader can keep at most ${MAX_BOOKMARKS} bookmarks.`);
    }
    const { bookmark, created } = await store.addBookmark(reader(c), { chapterSlug: place.chapter.slug, anchor: place.anchor, note: body.note });
    return c.json(bookmarkView(b, bookmark), created ? 201 : 200);
  });

  route(app, patchBookmark, async (c) => {
    const id = bookmarkId(c);
    const body = await jsonBody(c, updateBookmarkBody);
    await throttle(c);
    const row = await store.updateBookmark(reader(c), id, body.note ?? null);
    if (!row) throw noBookmark();
    return c.json(bookmarkView(book(), row));
  });

  route(app, deleteBookmark, async (c) => {
    const id = bookmarkId(c);
    await throttle(c);
    if (!(await store.deleteBookmark(reader(c), id))) throw noBookmark();
    return c.body(null, 204);
  });

  return app;
}
