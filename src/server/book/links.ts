import path from "node:path";
import { chapterPath } from "../../shared/api/book.ts";
import type { LinkRewriter } from "./sanitize.ts";

/**
 * Links as authors write them, turned into links on this site:
 * `02-anatomy.md#balance` → `/read/anatomy#balance`, `images/loop.svg` → `/book-assets/images/loop.svg`,
 * and on a Docusaurus site `/docs/basics/intro` → `/read/basics/intro`, `/img/a.png` → `/book-static/img/a.png`.
 * Every link that leads nowhere is reported (`LinkLog.broken`); links into a page are logged with
 * their `#anchor` so the loader can check it once every page is rendered.
 */
export const ASSET_PREFIX = "/book-assets/";
export const STATIC_PREFIX = "/book-static/";

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const CHAPTER_EXT = /\.mdx?$/i;

export function safeDecode(s: string): string {
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

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");
export const assetUrl = (bookPath: string) => ASSET_PREFIX + encodePath(bookPath);
export const staticUrl = (staticPath: string) => STATIC_PREFIX + encodePath(staticPath);

/** Lookup key of a chapter file: its book path without the extension. */
export const chapterKey = (file: string) => file.replace(CHAPTER_EXT, "");

/** What a book's links can lead to; the folder layout and the Docusaurus layout each provide one. */
export interface LinkTargets {
  /** The slug of the page in the file `key` (book path without extension). */
  pageByKey(key: string): string | undefined;
  /** Whether the book folder has this file. */
  exists(bookPath: string): boolean;
  /**
   * A site path as written (`/docs/intro`, `/img/a.png`, `/account`): a page, an href, or undefined when
   * it leads nowhere.
   */
  sitePath(pathname: string, fromFile: string): { slug: string } | { href: string; external: boolean } | undefined;
}

export interface LinkLog {
  broken(fromFile: string, href: string): void;
  /** A link from `fromFile` to the page `slug`, with its fragment (`""` for none). */
  toPage(fromFile: string, slug: string, fragment: string): void;
}

const pageHref = (slug: string, fragment: string) => chapterPath(slug) + fragment;

export function linkRewriter(fromFile: string, targets: LinkTargets, log: LinkLog, ownSlug: string): LinkRewriter {
  const toPage = (slug: string, fragment: string) => {
    log.toPage(fromFile, slug, safeDecode(fragment.slice(1)));
    return { href: pageHref(slug, fragment), external: false };
  };
  return {
    href(raw) {
      const href = raw.trim();
      if (!href) return { href: undefined, external: false };
      if (SCHEME.test(href)) return { href, external: /^https?:/i.test(href) };
      if (href.startsWith("#")) {
        log.toPage(fromFile, ownSlug, safeDecode(href.slice(1)));
        return { href, external: false };
      }
      // Protocol-relative URLs are left for the sanitiser to refuse.
      if (href.startsWith("//") || href.startsWith("?")) return { href, external: false };
      const [, pathPart = "", query = "", fragment = ""] = /^([^?#]*)(\?[^#]*)?(#.*)?$/.exec(href) ?? [];
      if (href.startsWith("/")) {
        const target = targets.sitePath(safeDecode(pathPart), fromFile);
        if (!target) log.broken(fromFile, href);
        if (target && "slug" in target) return toPage(target.slug, fragment);
        return target ? { href: target.href + query + fragment, external: target.external } : { href: undefined, external: false };
      }
      const target = resolveInBook(fromFile, safeDecode(pathPart));
      if (!target) {
        log.broken(fromFile, href);
        return { href: undefined, external: false };
      }
      const slug = targets.pageByKey(chapterKey(target)) ?? targets.pageByKey(`${target.replace(/\/$/, "")}/index`);
      if (slug) return toPage(slug, fragment);
      if (CHAPTER_EXT.test(target) || !targets.exists(target)) {
        log.broken(fromFile, href);
        if (CHAPTER_EXT.test(target)) return { href: undefined, external: false };
      }
      return { href: assetUrl(target) + fragment, external: false };
    },
    src(raw) {
      const src = raw.trim();
      if (!src || SCHEME.test(src)) return src || undefined;
      if (src.startsWith("/")) {
        if (src.startsWith("//")) return src;
        const target = targets.sitePath(safeDecode(src.replace(/[?#].*$/, "")), fromFile);
        if (!target || "slug" in target) {
          log.broken(fromFile, src);
          return undefined;
        }
        return target.href;
      }
      const target = resolveInBook(fromFile, safeDecode(src.replace(/[?#].*$/, "")));
      if (!target || !targets.exists(target)) log.broken(fromFile, src);
      return target ? assetUrl(target) : undefined;
    },
  };
}
