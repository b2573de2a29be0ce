import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { RenderedSource, RenderOptions } from "./types.ts";

/**
 * Rendered pages kept on disk, so a warm start does not parse and highlight the book again
 * (issue 14, "fast start"). An entry is named by a hash of what the rendering depends on: the
 * page's text, its options, the renderer's version and KaTeX's. A changed page gets a new name;
 * nothing is ever invalidated in place. Only the first half of rendering is kept (before links
 * and sanitising, which depend on the other pages): `finishChapter` runs on every start.
 *
 * Entries nobody read for PRUNE_AFTER_DAYS are deleted at start. The cache is an optimisation:
 * a folder that cannot be written, or an entry that cannot be read, means rendering again.
 */
export interface RenderCache {
  get(key: string): RenderedSource | undefined;
  set(key: string, value: RenderedSource): void;
  /** Entries found and written since it was opened. */
  readonly stats: { hits: number; writes: number };
}

const PRUNE_AFTER_DAYS = 14;

// Read from its package file: importing KaTeX itself is what a warm start avoids.
const KATEX_VERSION = (createRequire(import.meta.url)("katex/package.json") as { version: string }).version;

export function renderCacheKey(source: string, options: RenderOptions, version: number): string {
  return createHash("sha256").update(JSON.stringify([version, KATEX_VERSION, options, source])).digest("hex");
}

function isRendered(v: unknown): v is RenderedSource {
  const r = v as RenderedSource;
  return !!r && typeof r.html === "string" && Array.isArray(r.math) && Array.isArray(r.headings) && Array.isArray(r.anchors) && Array.isArray(r.components);
}

export const noRenderCache = (): RenderCache => ({ get: () => undefined, set: () => {}, stats: { hits: 0, writes: 0 } });

/** A cache in `dir` (made if missing); `warn` hears once when it cannot be written. */
export function diskRenderCache(dir: string, warn: (msg: string) => void): RenderCache {
  let broken = false;
  const stats = { hits: 0, writes: 0 };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    prune(dir);
  } catch (err) {
    broken = true;
    warn(`the rendered-page cache ${dir} cannot be used (${(err as Error).message}); pages are rendered at every start`);
  }
  const file = (key: string) => path.join(dir, `${key}.json`);
  return {
    stats,
    get(key) {
      if (broken) return undefined;
      try {
        const value: unknown = JSON.parse(readFileSync(file(key), "utf8"));
        if (!isRendered(value)) return undefined;
        const now = new Date();
        utimesSync(file(key), now, now); // read: keep it
        stats.hits++;
        return value;
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      if (broken) return;
      const tmp = `${file(key)}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
        renameSync(tmp, file(key)); // whole or not at all, also with two servers on one DATA_DIR
        stats.writes++;
      } catch (err) {
        broken = true;
        rmSync(tmp, { force: true });
        warn(`the rendered-page cache ${dir} cannot be written (${(err as Error).message}); pages are rendered at every start`);
      }
    },
  };
}

function prune(dir: string): void {
  const cutoff = Date.now() - PRUNE_AFTER_DAYS * 86_400_000;
  for (const name of readdirSync(dir)) {
    const f = path.join(dir, name);
    try {
      if (statSync(f).mtimeMs < cutoff) rmSync(f, { force: true });
    } catch {
      // gone already: another server pruned it
    }
  }
}
