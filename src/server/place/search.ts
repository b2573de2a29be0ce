import MiniSearch from "minisearch";
import type { Book } from "../book/book.ts";
import { blocksToPlainText } from "../chat/blocks.ts";
import { sectionsOf, type Passage } from "../chat/retrieval.ts";
import { MAX_SEARCH_RESULTS, type SearchResult } from "../../shared/api/place.ts";

/**
 * The reader's search over the book (issue 14, item 8): titles, headings and text of the listed
 * chapters, cut into sections as the chat cuts them (chat/retrieval.ts `sectionsOf`), indexed once
 * per book load. Unlike the chat's index it keeps every query term (a reader types "the robot"),
 * matches prefixes as you type, and forgives a typo in words of 4 characters or more.
 *
 * Results carry plain text and the offsets of the matched terms, never the book's HTML: the web
 * app marks them up itself.
 */
export interface BookSearch {
  search(query: string, limit?: number): SearchResult[];
}

/** A section of a chapter, as the chat cuts them. */
type Doc = Omit<Passage, "score">;

const SNIPPET_CHARS = 180;
/** Words are runs of letters, digits and `_`: MiniSearch's default keeps `<` and `>` inside words ("<script>alert"). */
const WORD = /[\p{L}\p{N}_]+/gu;
const tokenize = (text: string): string[] => text.match(WORD) ?? [];

const built = new WeakMap<Book, BookSearch>();

/** The search of this book, built on first use and kept as long as the book is the current one. */
export function searchOf(book: Book): BookSearch {
  let search = built.get(book);
  if (!search) built.set(book, (search = buildBookSearch(book)));
  return search;
}

export function buildBookSearch(book: Pick<Book, "chapters">): BookSearch {
  // Listed docs only: unlisted and left-out pages are served but not found (issue 14, item 1).
  const docs: Doc[] = book.chapters
    .filter((c) => c.listed && c.kind === "doc")
    .flatMap((c) => sectionsOf({ slug: c.slug, title: c.title, html: c.html }))
    // Snippets quote plain text: no code fences or backticks of the chat's Markdown.
    .map((d) => ({ ...d, text: blocksToPlainText(d.blocks) }));
  const index = new MiniSearch<Doc>({
    fields: ["chapterTitle", "sectionTitle", "text"],
    storeFields: ["chapterSlug", "chapterTitle", "sectionId", "sectionTitle", "text", "url"],
    tokenize,
    processTerm: (term) => term.toLowerCase(),
    searchOptions: {
      boost: { chapterTitle: 3, sectionTitle: 2 },
      prefix: true,
      fuzzy: (term) => (term.length >= 4 ? 0.2 : false),
      combineWith: "AND",
    },
  });
  index.addAll(docs);

  return {
    search(query, limit = MAX_SEARCH_RESULTS) {
      if (tokenize(query).length === 0) return [];
      let hits = index.search(query);
      // Every word, else any word: a reader's typo in one of three words still finds something.
      if (hits.length === 0) hits = index.search(query, { combineWith: "OR" });
      return hits.slice(0, Math.min(limit, MAX_SEARCH_RESULTS)).map((hit) => {
        const text = hit.text as string;
        const { snippet, highlights } = snippetOf(text, hit.terms);
        return {
          chapterSlug: hit.chapterSlug as string,
          chapterTitle: hit.chapterTitle as string,
          sectionId: (hit.sectionId as string | null) ?? null,
          sectionTitle: hit.sectionTitle as string,
          snippet,
          highlights,
          url: hit.url as string,
          score: Math.round(hit.score * 1000) / 1000,
        };
      });
    },
  };
}

/**
 * A window of the section's text around the first matched term, with every matched word in it as
 * [start, end) offsets. `terms` are the index's terms that matched (lowercase, whole words).
 */
export function snippetOf(text: string, terms: string[]): { snippet: string; highlights: [number, number][] } {
  const wanted = new Set(terms.map((t) => t.toLowerCase()));
  const words = [...text.matchAll(WORD)].filter((m) => wanted.has(m[0].toLowerCase()));
  const first = words[0]?.index ?? 0;
  let start = Math.max(0, first - 60);
  if (start > 0) {
    const space = text.indexOf(" ", start);
    start = space >= 0 && space < first ? space + 1 : start;
  }
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  if (end < text.length) {
    const space = text.lastIndexOf(" ", end);
    if (space > first) end = space;
  }
  const prefix = start > 0 ? "…" : "";
  const body = text.slice(start, end).replace(/\n/g, " ");
  const highlights: [number, number][] = words
    .filter((m) => m.index! >= start && m.index! + m[0].length <= end)
    .map((m) => [m.index! - start + prefix.length, m.index! - start + prefix.length + m[0].length]);
  return { snippet: prefix + body + (end < text.length ? "…" : ""), highlights };
}
