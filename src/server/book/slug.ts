/**
 * Names for chapters and headings. Chapter slugs are URL path segments (`/read/<slug>`), so
 * they are plain ASCII `a-z0-9-` (what the route takes: CHAPTER_SLUG in src/shared/api/book.ts);
 * heading ids follow github-slugger (what Docusaurus and GitHub produce), so
 * `other.md#some-heading` links written for those sites keep working here.
 */

const NUMERIC_PREFIX = /^(\d+)[-_. ]+(?=.)/;

/** `"02-anatomy.md"` → 2; `"intro.md"` → undefined. */
export function numericPrefix(name: string): number | undefined {
  const m = NUMERIC_PREFIX.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** ASCII slug: `"Über Robots!"` → `"uber-robots"`. */
export function asciiSlug(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100)
    .replace(/-+$/, "");
}

/** `"01-What-is.mdx"` → `"what-is"`: lowercase, without numeric prefix and extension. */
export function slugFromFileName(fileName: string): string {
  const base = fileName.replace(/\.[^.]+$/, "");
  return asciiSlug(base.replace(NUMERIC_PREFIX, "")) || asciiSlug(base) || "chapter";
}

/** `"what-is-physical-ai"` → `"What is physical ai"`, for chapters with no title anywhere. */
export function humanize(slug: string): string {
  const words = slug.replace(/-/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Ids the web app's own page uses around a chapter. A heading called "Main" gets `main-1`, so the
 * chapter never duplicates an id of the page it is shown in (the skip link targets `#main`).
 */
export const RESERVED_IDS = ["root", "main", "content", "app", "toc", "toc-title", "on-this-page-title"];

/**
 * Heading ids, unique within one chapter, as github-slugger makes them:
 * lowercase, punctuation dropped, spaces to hyphens, repeats suffixed `-1`, `-2`.
 */
export function createSlugger() {
  const seen = new Map<string, number>(RESERVED_IDS.map((id) => [id, 0]));
  return function slug(text: string): string {
    const base =
      text
        .toLowerCase()
        .trim()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-") || "section";
    let id = base;
    let n = seen.get(base) ?? 0;
    while (seen.has(id)) id = `${base}-${++n}`;
    seen.set(base, n);
    seen.set(id, 0);
    return id;
  };
}
