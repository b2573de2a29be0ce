import { chapterPath } from "../../shared/api/book.ts";
import type { Citation } from "./chat-api.ts";

/**
 * Where a citation points: built from its slug and section id (never the server's `url` as is),
 * so a citation can only ever lead to a chapter page of this site.
 */
export function citationHref(c: Citation): string {
  const path = chapterPath(c.chapterSlug);
  return c.sectionId ? `${path}#${encodeURIComponent(c.sectionId)}` : path;
}

/** "Learning to move — Balance and falling"; just the chapter when the passage has no section. */
export function citationLabel(c: Citation): string {
  const section = c.sectionTitle?.trim();
  return section && section !== c.chapterTitle ? `${c.chapterTitle} — ${section}` : c.chapterTitle;
}

/** The same source cited twice (two passages of one section) is listed once. */
export function uniqueCitations(citations: Citation[]): Citation[] {
  const seen = new Set<string>();
  return citations.filter((c) => {
    const key = citationHref(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
