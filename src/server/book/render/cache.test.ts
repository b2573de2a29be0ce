import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PLAIN_MARKDOWN, RENDERER_VERSION, renderSource } from "../render.ts";
import { diskRenderCache, renderCacheKey } from "./cache.ts";

/** The rendered-page cache (issue 14, fast start): named by content, never trusted blindly. */
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), "aibook-cache-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the rendered-page cache", () => {
  it("names an entry by the page, its options and the renderer's version", () => {
    const key = renderCacheKey("# A", PLAIN_MARKDOWN, RENDERER_VERSION);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(renderCacheKey("# A", PLAIN_MARKDOWN, RENDERER_VERSION)).toBe(key);
    expect(renderCacheKey("# B", PLAIN_MARKDOWN, RENDERER_VERSION)).not.toBe(key);
    expect(renderCacheKey("# A", { ...PLAIN_MARKDOWN, format: "mdx" }, RENDERER_VERSION)).not.toBe(key);
    expect(renderCacheKey("# A", PLAIN_MARKDOWN, RENDERER_VERSION + 1)).not.toBe(key);
  });

  it("gives back what was put in, and ignores an entry that is not a rendered page", () => {
    const dir = tempDir();
    const cache = diskRenderCache(dir, () => {});
    const page = renderSource("## Hello\n\n```js\nlet a = 1;\n```", PLAIN_MARKDOWN);
    cache.set("k1", page);
    expect(diskRenderCache(dir, () => {}).get("k1")).toEqual(page);
    writeFileSync(path.join(dir, "k2.json"), '{"html": 1}');
    writeFileSync(path.join(dir, "k3.json"), "not json");
    expect([cache.get("k2"), cache.get("k3"), cache.get("missing")]).toEqual([undefined, undefined, undefined]);
  });

  it("forgets entries nobody read for two weeks, at the next start", () => {
    const dir = tempDir();
    diskRenderCache(dir, () => {}).set("old", renderSource("x", PLAIN_MARKDOWN));
    diskRenderCache(dir, () => {}).set("new", renderSource("y", PLAIN_MARKDOWN));
    const longAgo = new Date(Date.now() - 15 * 86_400_000);
    utimesSync(path.join(dir, "old.json"), longAgo, longAgo);
    diskRenderCache(dir, () => {});
    expect(readdirSync(dir)).toEqual(["new.json"]);
  });

  it("says once that a folder it cannot use costs only speed", () => {
    const file = path.join(tempDir(), "a-file");
    writeFileSync(file, "");
    const warnings: string[] = [];
    const cache = diskRenderCache(path.join(file, "cache"), (w) => warnings.push(w));
    cache.set("a", renderSource("x", PLAIN_MARKDOWN));
    expect(cache.get("a")).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot be used .*rendered at every start/);
  });
});
