import path from "node:path";
import type { LinkRewriter } from "./sanitize.ts";
import { slugFromFileName } from "./slug.ts";

/**
 * Links as authors write them in a Markdown folder, turned into links on the site:
 * `02-anatomy.md#balance` → `/read/anatomy#balance`, `images/loop.svg` → `/book-assets/images/loop.svg`.
 */
export const ASSET_PREFIX = "/book-assets/";
export const READ_PREFIX = "/read/";

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const CHAPTER_EXT = /\.mdx?$/i;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `target` relative to the chapter `fromFile`, as a path inside the book; undefined if it leaves the book. */
export function resolveInBook(fromFile: string, target: string): string | undefined {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), target));
  if (joined === ".." || joined.startsWith("../") || joined.startsWith("/") || joined === ".") return undefined;
  return joined;
}

export const assetUrl = (bookPath: string) => ASSET_PREFIX + bookPath.split("/").map(encodeURIComponent).join("/");

/** Lookup key of a chapter file: its book path without the extension. */
export const chapterKey = (file: string) => file.replace(CHAPTER_EXT, "");

export function linkRewriter(fromFile: string, slugByKey: ReadonlyMap<string, string>): LinkRewriter {
  return {
    href(raw) {
      const href = raw.trim();
      if (!href) return { href: undefined, external: false };
      if (SCHEME.test(href)) return { href, external: /^https?:/i.test(href) };
      // Fragments, site paths, and protocol-relative URLs (which the sanitiser refuses) as they are.
      if (href.startsWith("#") || href.startsWith("/") || href.startsWith("?")) return { href, external: false };
      const [, pathPart = "", fragment = ""] = /^([^?#]*)(?:\?[^#]*)?(#.*)?$/.exec(href) ?? [];
      const target = resolveInBook(fromFile, safeDecode(pathPart));
      if (!target) return { href: undefined, external: false };
      const slug = slugByKey.get(chapterKey(target)) ?? slugByKey.get(`${target.replace(/\/$/, "")}/index`);
      if (slug) return { href: READ_PREFIX + slug + fragment, external: false };
      if (CHAPTER_EXT.test(target)) return { href: READ_PREFIX + slugFromFileName(path.posix.basename(target)) + fragment, external: false };
      return { href: assetUrl(target) + fragment, external: false };
    },
    src(raw) {
      const src = raw.trim();
      if (!src || SCHEME.test(src) || src.startsWith("/")) return src || undefined;
      const target = resolveInBook(fromFile, safeDecode(src.replace(/[?#].*$/, "")));
      return target ? assetUrl(target) : undefined;
    },
  };
}
