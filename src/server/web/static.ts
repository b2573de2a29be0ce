import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context, MiddlewareHandler } from "hono";

/**
 * The React app, built by Vite into WEB_DIST_DIR (default dist/web). Fingerprinted files under
 * /assets are cached for a year; index.html is revalidated on every load, so a deploy shows at
 * once. Any other page a browser asks for (`/read/intro`, `/account`) gets index.html and the
 * client router takes over. /api/* and /book-assets/* are never answered here, so their 404s
 * stay JSON. Mount it last.
 */
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

const isApiPath = (p: string) => p === "/api" || p.startsWith("/api/") || p.startsWith("/book-assets/");
const wantsHtml = (c: Context) => (c.req.header("accept") ?? "").includes("text/html");
// Dotfiles (the build stamp, editor droppings) are not part of the site.
const hasHiddenSegment = (p: string) => /\/\./.test(p);

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>AI Book — web app not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The web app is not built yet</h1>
<p>The server is running and its API answers under <code>/api/v1</code>, but there is no built web app to show.</p>
<ul>
<li><code>npm run build</code> builds it once (then reload this page), or</li>
<li><code>npm start</code> builds it by itself at start unless <code>SKIP_WEB_BUILD=true</code>, or</li>
<li><code>npm run dev</code> runs the app with hot reload on <a href="http://localhost:5173">http://localhost:5173</a>.</li>
</ul>
</body>
</html>
`;

export function serveWebApp(options: { distDir: string }): MiddlewareHandler {
  const root = path.resolve(options.distDir);
  const indexFile = path.join(root, "index.html");
  const assetsDir = path.join(root, "assets") + path.sep;
  // Created on first use: serveStatic complains at creation when its root does not exist yet.
  let files: MiddlewareHandler | undefined;

  return async function webApp(c, next) {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") return next();
    const p = c.req.path;
    if (isApiPath(p)) return next();

    if (!existsSync(indexFile)) {
      if (!wantsHtml(c)) return next();
      c.header("Cache-Control", "no-store");
      return c.html(NOT_BUILT, 503);
    }

    if (!hasHiddenSegment(p)) {
      files ??= serveStatic({
        root,
        onFound: (file, ctx) => ctx.header("Cache-Control", file.startsWith(assetsDir) ? IMMUTABLE : REVALIDATE),
      });
      const res = await files(c, async () => {});
      if (res) return res;
    }

    if (!wantsHtml(c) || p.startsWith("/assets/")) return next();
    c.header("Cache-Control", REVALIDATE);
    return c.html(await readFile(indexFile, "utf8"), 200);
  };
}
