import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { Hono, type MiddlewareHandler } from "hono";
import { ApiError } from "../http/errors.ts";

/**
 * /book-assets/* — the book's images, straight from its folder (a Docusaurus site's docs folder),
 * and /book-static/* — a Docusaurus site's `static/` images (`/img/…` in its pages). Images only
 * (a chapter's `.md` source, `book.json` or anything else in the folder is not served), and never
 * a file outside the folder: each path segment is decoded once and checked, the resolved path and its real
 * path (symlinks followed) must both stay inside BOOK_DIR (ASVS 5.3.2, CWE-22).
 */
const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  svg: "image/svg+xml",
};

/** An SVG opened on its own is a document that could run script; this policy lets it only draw. */
export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

const notFound = () => new ApiError(404, "ASSET_NOT_FOUND", "No such image in the book.");

/** Decoded path segments, or undefined when any of them could climb out or hide something. */
function segmentsOf(encodedPath: string): string[] | undefined {
  const parts = encodedPath.split("/");
  const out: string[] = [];
  for (const part of parts) {
    let s: string;
    try {
      s = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (!s || s.startsWith(".") || /[/\\\0]/.test(s)) return undefined;
    out.push(s);
  }
  return out;
}

const inside = (root: string, p: string) => p.startsWith(root + path.sep);

/** `prefix` is where the routes are mounted (`/book-assets/`); `folder()` the folder they serve, if any. */
export function bookAssetRoutes(prefix: string, folder: () => string | null) {
  const app = new Hono();
  app.get("/*", async (c) => {
    const root = folder();
    if (!root) throw notFound();
    const encoded = new URL(c.req.url).pathname.slice(prefix.length);
    const segments = segmentsOf(encoded);
    const type = segments && IMAGE_TYPES[path.extname(segments.at(-1)!).slice(1).toLowerCase()];
    if (!segments || !type) throw notFound();
    const file = path.resolve(root, ...segments);
    if (!inside(root, file)) throw notFound();

    let real: string;
    let info: Awaited<ReturnType<typeof stat>>;
    let realRoot: string;
    try {
      [realRoot, real] = await Promise.all([realpath(root), realpath(file)]);
      info = await stat(real);
    } catch {
      throw notFound();
    }
    if (!info.isFile() || !inside(realRoot, real)) throw notFound();

    const etag = `W/"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
    c.header("Cache-Control", "public, max-age=3600");
    c.header("ETag", etag);
    c.header("Last-Modified", info.mtime.toUTCString());
    if (type === IMAGE_TYPES.svg) {
      c.header("Content-Security-Policy", SVG_CSP);
      c.header("Content-Disposition", "inline");
    }
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    const body = await readFile(real);
    c.header("Content-Type", type);
    return c.body(new Uint8Array(body), 200);
  });
  return app;
}

/**
 * Registered before the site-wide security headers (so it runs after them on the way out): gives
 * every /book-assets and /book-static response the drawing-only policy instead of the site's CSP. That includes
 * 304s, whose headers replace the cached ones (RFC 9111 §4.3.4).
 */
export function assetPolicy(): MiddlewareHandler {
  return async function assetPolicyMiddleware(c, next) {
    await next();
    c.res.headers.set("Content-Security-Policy", SVG_CSP);
  };
}
