import { z } from "zod";

/** GET /api/v1/book and GET /api/v1/book/chapters/{slug}: the book, public. */

/** A chapter slug: `a-z0-9-`, at most 100 characters. The route refuses anything else. */
export const CHAPTER_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/;

export const chapterParams = z.object({ slug: z.string().regex(CHAPTER_SLUG) });

export const chapterSummarySchema = z
  .strictObject({
    slug: z.string(),
    title: z.string(),
    order: z.number().int().meta({ description: "Position in reading order, from 1" }),
    description: z.string().nullable(),
  })
  .meta({ id: "ChapterSummary" });

export const bookSchema = z
  .strictObject({ title: z.string(), description: z.string().nullable(), chapters: z.array(chapterSummarySchema) })
  .meta({ id: "Book" });

export const headingSchema = z.strictObject({ id: z.string(), text: z.string(), depth: z.number().int() }).meta({ id: "Heading" });

export const chapterLinkSchema = z.strictObject({ slug: z.string(), title: z.string() }).meta({ id: "ChapterLink" });

export const chapterSchema = z
  .strictObject({
    slug: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    html: z.string().meta({ description: "Sanitised on the server; the only HTML the web app injects" }),
    headings: z.array(headingSchema),
    prev: chapterLinkSchema.nullable(),
    next: chapterLinkSchema.nullable(),
  })
  .meta({ id: "Chapter" });

export type ChapterSummary = z.infer<typeof chapterSummarySchema>;
export type Book = z.infer<typeof bookSchema>;
export type Heading = z.infer<typeof headingSchema>;
export type ChapterLink = z.infer<typeof chapterLinkSchema>;
export type Chapter = z.infer<typeof chapterSchema>;
