/**
 * Doc ids and slugs computed as Docusaurus's docs plugin computes them:
 * `01-basics/02-intro.md` → id `basics/intro`, slug `/basics/intro`; front-matter `id` replaces the
 * last segment; `slug` front matter is absolute (`/x`) or relative to the doc's folder; an index
 * doc (`index`, `README`, or named like its folder) takes the folder's slug.
 */

// Dates (2021-01-31) and versions (1.2) are not number prefixes, as in Docusaurus.
const IGNORED_PREFIX = /^\d{2,4}[-_.]\d{2,4}[-_.]\d{2,4}|^\d+[-_.]\d+/;
const NUMBER_PREFIX = /^(\d+)\s*[-_.]+\s*([^-_.\s].*)$/;

/** `"02-intro"` → `{ name: "intro", prefix: 2 }`; `"intro"` → `{ name: "intro" }`. */
export function parseNumberPrefix(name: string): { name: string; prefix?: number } {
  if (IGNORED_PREFIX.test(name)) return { name };
  const m = NUMBER_PREFIX.exec(name);
  return m ? { name: m[2]!, prefix: Number(m[1]) } : { name };
}

/** `"01-basics/02-more"` → `"basics/more"`. */
export const stripPathNumberPrefixes = (dir: string) =>
  dir
    .split("/")
    .map((s) => parseNumberPrefix(s).name)
    .join("/");

/** Docusaurus's index-doc convention: `index.md`, `README.md`, or `<folder>/<folder>.md`. */
export function isCategoryIndex(file: string): boolean {
  const parts = file.split("/");
  const name = parts.at(-1)!.replace(/\.[^.]+$/, "").toLowerCase();
  return name === "index" || name === "readme" || (parts.length > 1 && name === parts.at(-2)!.toLowerCase());
}

export interface DocIdentity {
  id: string;
  /** Docusaurus's slug: the path after the docs' route base, with a leading slash (`/` for the docs' home). */
  slug: string;
  /** From the file name's number prefix; `sidebar_position` front matter wins over it. */
  numberPrefix: number | undefined;
}

/** Resolve `relative` against the folder path `dir` (`/a/b/`), as a URL path is. */
function resolvePath(relative: string, dir: string): string {
  const segments = dir.split("/").filter(Boolean);
  for (const part of relative.split("/")) {
    if (part === "..") segments.pop();
    else if (part !== "." && part !== "") segments.push(part);
  }
  return `/${segments.join("/")}${relative.endsWith("/") && segments.length ? "/" : ""}`;
}

/**
 * `file` is the doc's path inside the docs folder (POSIX). `frontMatterId` must not contain `/`
 * (Docusaurus refuses it; the caller warns and passes undefined).
 */
export function docIdentity(file: string, front: { id?: string; slug?: string; parseNumberPrefixes?: boolean }): DocIdentity {
  const parse = front.parseNumberPrefixes !== false;
  const slash = file.lastIndexOf("/");
  const dir = slash === -1 ? "" : file.slice(0, slash);
  const fileName = file.slice(slash + 1).replace(/\.[^.]+$/, "");
  const { name, prefix } = parse ? parseNumberPrefix(fileName) : { name: fileName, prefix: undefined };
  const baseId = front.id ?? name;
  const dirStripped = parse ? stripPathNumberPrefixes(dir) : dir;
  const id = dirStripped ? `${dirStripped}/${baseId}` : baseId;

  const dirSlug = dirStripped ? `/${dirStripped}/` : "/";
  let slug: string;
  if (front.slug?.startsWith("/")) slug = front.slug;
  else if (front.slug === undefined && isCategoryIndex(file)) slug = dirSlug;
  else slug = resolvePath(front.slug ?? baseId, dirSlug);
  return { id, slug, numberPrefix: prefix };
}
