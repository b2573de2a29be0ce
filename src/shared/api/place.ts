import { z } from "zod";
import { CHAPTER_SLUG } from "./book.ts";

/**
 * The reader's place (issue 14, item 8): searching the book, reading progress, bookmarks.
 * GET /api/v1/book/search is public; /api/v1/me/progress and /api/v1/me/bookmarks belong to the
 * caller (a guest too: decision 007).
 */

/** A heading's id as the book renders it: an HTML id, no spaces, at most 200 characters. */
const ANCHOR = /^[^\s"'<>&]{1,200}$/;
export const anchorSchema = z.string().regex(ANCHOR).meta({ description: "A section's anchor id in the chapter (a heading's id)", example: "balance" });

export const MAX_SEARCH_QUERY = 200;
export const MAX_SEARCH_RESULTS = 20;
export const MAX_BOOKMARK_NOTE = 500;

export const searchQuery = z.strictObject({ q: z.string().trim().min(1).max(MAX_SEARCH_QUERY) });

export const searchResultSchema = z
  .strictObject({
    chapterSlug: z.string(),
    chapterTitle: z.string(),
    sectionId: z.string().nullable().meta({ description: "The section's anchor id; null for the chapter's opening" }),
    sectionTitle: z.string(),
    snippet: z.string().meta({ description: "Plain text from the section (never HTML)" }),
    highlights: z
      .array(z.tuple([z.number().int(), z.number().int()]))
      .meta({ description: "The matched terms in `snippet` as [start, end) UTF-16 offsets, in order, not overlapping" }),
    url: z.string().meta({ description: "The reader's URL of the section: /read/<slug>#<anchor>" }),
    score: z.number(),
  })
  .meta({ id: "SearchResult" });

export const searchResultsSchema = z.strictObject({ query: z.string(), results: z.array(searchResultSchema) }).meta({ id: "SearchResults" });

export const progressParams = z.object({ slug: z.string().regex(CHAPTER_SLUG) });

export const progressBody = z.strictObject({
  anchor: anchorSchema.nullable().optional(),
  fraction: z.number().min(0).max(1).meta({ description: "How far down the chapter, 0..1" }),
  completed: z.boolean().optional().meta({ description: "The end of the chapter was reached; once read, a chapter stays read" }),
});

export const progressSchema = z
  .strictObject({
    chapterSlug: z.string(),
    anchor: z.string().nullable(),
    fraction: z.number(),
    completed: z.boolean(),
    updatedAt: z.number().int().meta({ description: "Milliseconds since the epoch" }),
  })
  .meta({ id: "ReadingProgress" });

export const progressListSchema = z
  .strictObject({ progress: z.array(progressSchema).meta({ description: "Every chapter the reader opened, latest first" }) })
  .meta({ id: "ReadingProgressList" });

export const bookmarkParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

const noteSchema = z.string().max(MAX_BOOKMARK_NOTE).nullable().optional();

export const createBookmarkBody = z.strictObject({
  chapterSlug: z.string().regex(CHAPTER_SLUG),
  anchor: anchorSchema.nullable().optional(),
  note: noteSchema,
});

export const updateBookmarkBody = z.strictObject({ note: noteSchema });

export const bookmarkSchema = z
  .strictObject({
    id: z.string(),
    chapterSlug: z.string(),
    chapterTitle: z.string().nullable().meta({ description: "null when the book no longer has the chapter" }),
    anchor: z.string().nullable(),
    sectionTitle: z.string().nullable(),
    note: z.string().nullable(),
    url: z.string(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .meta({ id: "Bookmark" });

export const bookmarkListSchema = z.strictObject({ bookmarks: z.array(bookmarkSchema).meta({ description: "Newest first" }) }).meta({ id: "BookmarkList" });

export type SearchResult = z.infer<typeof searchResultSchema>;
export type SearchResults = z.infer<typeof searchResultsSchema>;
export type ReadingProgress = z.infer<typeof progressSchema>;
export type Bookmark = z.infer<typeof bookmarkSchema>;
