import MiniSearch from "minisearch";
import { chapterPath } from "../../shared/api/book.ts";
import { blocksToMarkdown, blocksToPlainText, decodeEntities, htmlSections, type Block } from "./blocks.ts";

/**
 * Retrieval over the book: each chapter is cut into sections at its h2/h3 headings, and a
 * BM25 index (MiniSearch) is built over them at start. Citations point at the section anchor.
 */
export interface ChapterSource {
  slug: string;
  title: string;
  /** The chapter's rendered, sanitised HTML (headings carry ids). */
  html: string;
}

export interface Passage {
  id: string;
  chapterSlug: string;
  chapterTitle: string;
  sectionId: string | null;
  sectionTitle: string;
  /** The section as Markdown: prose, and code as fenced blocks with their language. */
  text: string;
  /** The section block by block: prose paragraphs, list items, table rows, admonitions, code. */
  blocks: Block[];
  url: string;
  score: number;
}

export interface Citation {
  chapterSlug: string;
  chapterTitle: string;
  sectionId: string | null;
  sectionTitle: string;
  url: string;
}

/** Inline elements join their neighbours (`un<em>believ</em>able`); any other tag separates words. */
const INLINE_TAG = /<\/?(a|abbr|b|bdi|bdo|cite|code|data|del|dfn|em|i|ins|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var)(\s[^>]*)?>/gi;

/** A fragment of HTML as plain text, a line a block (headings, labels). */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    // Line breaks in the HTML source are not sentence breaks (regression: answers quoted half-sentences).
    .replace(/\s+/g, " ")
    // A table row reads as one sentence: "cell; cell; cell."
    .replace(/<\/t[dh]>\s*(?=<\/tr>)/gi, ".")
    .replace(/<\/t[dh]>/gi, "; ")
    .replace(/<\/(p|li|h[1-6]|pre|tr|blockquote|div)>/gi, "\n")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(INLINE_TAG, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(#?\w+);/g, (m) => decodeEntities(m))
    .replace(/[ \t]+/g, " ")
    .replace(/ ?\n ?/g, "\n")
    .replace(/\n\s*\n+/g, "\n")
    .trim();
}

/**
 * Split a chapter's HTML into sections at its top-level h2/h3 headings with ids, each read block
 * by block (blocks.ts): `blocks` for the embedded answerer, `text` as Markdown with code fenced
 * for a model's prompt.
 */
export function sectionsOf(chapter: ChapterSource): Omit<Passage, "score">[] {
  const out: Omit<Passage, "score">[] = [];
  htmlSections(chapter.html).forEach((s, i) => {
    if (s.blocks.length === 0) return;
    out.push({
      id: `${chapter.slug}#${s.id ?? i}`,
      chapterSlug: chapter.slug,
      chapterTitle: chapter.title,
      sectionId: s.id,
      sectionTitle: s.title ?? chapter.title,
      text: blocksToMarkdown(s.blocks),
      blocks: s.blocks,
      url: `${chapterPath(chapter.slug)}${s.id ? `#${s.id}` : ""}`,
    });
  });
  return out;
}

export interface BookIndex {
  search(query: string, limit?: number): Passage[];
  size: number;
}

/**
 * Words that say nothing about the topic. Left in, "what is" matched every "What is…" heading
 * above the real answer, and any question at all found some passage.
 */
const STOP_WORDS = new Set(
  ("a an and are as at be been but by can could did do does for from had has have how i if im in is it its me my no not of on or " +
    "our should so than that the their them then there these they this to was we were what when where which who whom whose why " +
    "will with would yes you your about into tell explain").split(" "),
);

function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  return t.length < 2 || STOP_WORDS.has(t) ? null : t;
}

export function buildBookIndex(chapters: ChapterSource[]): BookIndex {
  const docs = chapters.flatMap(sectionsOf);
  const tokenize = MiniSearch.getDefault("tokenize") as (text: string) => string[];
  const index = new MiniSearch<Omit<Passage, "score">>({
    fields: ["sectionTitle", "chapterTitle", "text"],
    // Words are read from the plain text: a code fence's backticks and language are no words of the book.
    extractField: (doc, field) => (field === "text" ? blocksToPlainText(doc.blocks) : (doc[field as keyof typeof doc] as string)),
    processTerm,
    searchOptions: { boost: { sectionTitle: 2, chapterTitle: 1.2 }, prefix: (term) => term.length > 3, fuzzy: (term) => (term.length > 5 ? 0.15 : false), combineWith: "OR" },
  });
  index.addAll(docs);
  const byId = new Map(docs.map((d) => [d.id, d]));
  return {
    size: docs.length,
    search(query, limit = 4) {
      const terms = new Set(tokenize(query).map(processTerm).filter(Boolean));
      if (terms.size === 0) return [];
      // A passage must share two of the question's words (or its only one): one stray common word is no answer.
      const needed = Math.min(2, terms.size);
      return index
        .search(query)
        .filter((r) => r.queryTerms.length >= needed)
        .slice(0, limit)
        .map((r) => ({ ...byId.get(String(r.id))!, score: r.score }));
    },
  };
}

export function citationOf(p: Passage): Citation {
  return { chapterSlug: p.chapterSlug, chapterTitle: p.chapterTitle, sectionId: p.sectionId, sectionTitle: p.sectionTitle, url: p.url };
}

/** The index the chat searches, rebuilt whenever the book is (re)loaded. */
export function createLiveBookIndex(logger: { info(obj: object, msg: string): void }) {
  let index = buildBookIndex([]);
  return {
    current: (): BookIndex => index,
    rebuild(chapters: ChapterSource[]) {
      index = buildBookIndex(chapters);
      logger.info({ sections: index.size }, "book indexed for chat");
    },
  };
}
