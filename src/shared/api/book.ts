import { z } from "zod";

/** GET /api/v1/book and GET /api/v1/book/chapters/{slug}: the book, public. */

const SEGMENT = "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?";

/**
 * A chapter slug: one or more path segments of `A-Za-z0-9._-` joined by `/` (a Docusaurus doc's
 * path, `basics/intro`; a plain folder's chapters are one lowercase segment), at most 200
 * characters, never `.`/`..` or an empty segment. The route refuses anything else.
 */
export const CHAPTER_SLUG = new RegExp(`^(?=[^]{1,200}$)${SEGMENT}(?:/${SEGMENT}){0,15}$`);

/** The reader's URL of a chapter: `/read/basics/intro`. Anything that is not a slug is encoded whole, so it can only lead to a "not found" chapter page. */
export function chapterPath(slug: string): string {
  return `/read/${CHAPTER_SLUG.test(slug) ? slug : encodeURIComponent(slug)}`;
}

export const chapterParams = z.object({ slug: z.string().regex(CHAPTER_SLUG) });

export const chapterSummarySchema = z
  .strictObject({
    slug: z.string(),
    title: z.string(),
    order: z.number().int().meta({ description: "Position in reading order, from 1" }),
    description: z.string().nullable(),
  })
  .meta({ id: "ChapterSummary" });

const categoryLinkSchema = z
  .strictObject({ type: z.enum(["doc", "generated-index"]), slug: z.string() })
  .meta({ id: "CategoryLink", description: "The category's own page: a chapter, or a generated index of its items" });

export type ContentsItem =
  | { type: "doc"; label: string; slug: string }
  | { type: "link"; label: string; href: string }
  | { type: "category"; label: string; collapsed: boolean; collapsible: boolean; link: { type: "doc" | "generated-index"; slug: string } | null; items: ContentsItem[] };

export const contentsItemSchema: z.ZodType<ContentsItem> = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("doc"), label: z.string(), slug: z.string() }),
    z.strictObject({ type: z.literal("link"), label: z.string(), href: z.string().meta({ description: "An external link of the sidebar" }) }),
    z.strictObject({
      type: z.literal("category"),
      label: z.string(),
      collapsed: z.boolean().meta({ description: "Whether the category starts collapsed" }),
      collapsible: z.boolean(),
      link: categoryLinkSchema.nullable(),
      get items(): z.ZodArray<z.ZodType<ContentsItem>> {
        return z.array(contentsItemSchema);
      },
    }),
  ])
  .meta({ id: "ContentsItem" });

export const bookSchema = z
  .strictObject({
    title: z.string(),
    tagline: z.string().nullable().meta({ description: "A Docusaurus site's tagline" }),
    description: z.string().nullable(),
    chapters: z.array(chapterSummarySchema).meta({ description: "The listed chapters in reading order (the contents, flattened)" }),
    contents: z.array(contentsItemSchema).meta({ description: "The contents as the book's sidebar lays them out" }),
  })
  .meta({ id: "Book" });

export const headingSchema = z.strictObject({ id: z.string(), text: z.string(), depth: z.number().int() }).meta({ id: "Heading" });

export const chapterLinkSchema = z.strictObject({ slug: z.string(), title: z.string() }).meta({ id: "ChapterLink" });

export const chapterSchema = z
  .strictObject({
    slug: z.string(),
    title: z.string(),
    heading: z.string().meta({ description: "The page's one h1: the chapter's own `# heading` when it has one, else the title" }),
    kind: z.enum(["doc", "generated-index"]),
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
