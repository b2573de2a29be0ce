import MiniSearch from "minisearch";

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
  text: string;
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

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'", nbsp: " " };

export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<\/(p|li|h[1-6]|pre|tr|blockquote|div)>/gi, "\n")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<[^>]+>/g, " ")
    .replace(/&(#?\w+);/g, (m, e: string) => ENTITIES[e] ?? (e.startsWith("#") ? String.fromCodePoint(Number(e.slice(1)) || 32) : m))
    .replace(/[ \t]+/g, " ")
    .replace(/\n\s*\n+/g, "\n")
    .trim();
}

/** Split a chapter's HTML into sections at h2/h3 headings with ids. */
export function sectionsOf(chapter: ChapterSource): Omit<Passage, "score">[] {
  const parts = chapter.html.split(/(?=<h[23][^>]*\sid=")/i);
  const out: Omit<Passage, "score">[] = [];
  parts.forEach((part, i) => {
    const heading = /^<h[23][^>]*\sid="([^"]+)"[^>]*>([\s\S]*?)<\/h[23]>/i.exec(part);
    const sectionId = heading ? heading[1]! : null;
    const sectionTitle = heading ? htmlToText(heading[2]!) : chapter.title;
    const body = htmlToText(heading ? part.slice(heading[0].length) : part.replace(/^<h1[^>]*>[\s\S]*?<\/h1>/i, ""));
    if (!body) return;
    out.push({
      id: `${chapter.slug}#${sectionId ?? i}`,
      chapterSlug: chapter.slug,
      chapterTitle: chapter.title,
      sectionId,
      sectionTitle,
      text: body,
      url: `/read/${chapter.slug}${sectionId ? `#${sectionId}` : ""}`,
    });
  });
  return out;
}

export interface BookIndex {
  search(query: string, limit?: number): Passage[];
  size: number;
}

export function buildBookIndex(chapters: ChapterSource[]): BookIndex {
  const docs = chapters.flatMap(sectionsOf);
  const index = new MiniSearch<Omit<Passage, "score">>({
    fields: ["sectionTitle", "chapterTitle", "text"],
    storeFields: ["chapterSlug", "chapterTitle", "sectionId", "sectionTitle", "text", "url"],
    searchOptions: { boost: { sectionTitle: 2, chapterTitle: 1.2 }, prefix: (term) => term.length > 3, fuzzy: (term) => (term.length > 5 ? 0.15 : false), combineWith: "OR" },
  });
  index.addAll(docs);
  return {
    size: docs.length,
    search(query, limit = 4) {
      const terms = query.trim();
      if (!terms) return [];
      return index
        .search(terms)
        .slice(0, limit)
        .map((r) => ({
          id: String(r.id),
          chapterSlug: r.chapterSlug as string,
          chapterTitle: r.chapterTitle as string,
          sectionId: (r.sectionId as string | null) ?? null,
          sectionTitle: r.sectionTitle as string,
          text: r.text as string,
          url: r.url as string,
          score: r.score,
        }));
    },
  };
}

export function citationOf(p: Passage): Citation {
  return { chapterSlug: p.chapterSlug, chapterTitle: p.chapterTitle, sectionId: p.sectionId, sectionTitle: p.sectionTitle, url: p.url };
}
