import { existsSync } from "node:fs";
import path from "node:path";
import { chapterKey } from "./links.ts";
import type { BookPlan } from "./plan.ts";
import { PLAIN_MARKDOWN } from "./render/types.ts";
import { asciiSlug, humanize } from "./slug.ts";
import { readBookMeta, readChapterSources, type ChapterSource } from "./sources.ts";

/** One slug per chapter: the file's own, or prefixed with its folders when two files share it. */
function assignSlugs(sources: ChapterSource[]): string[] {
  const count = new Map<string, number>();
  for (const s of sources) count.set(s.baseSlug, (count.get(s.baseSlug) ?? 0) + 1);
  const taken = new Set<string>();
  return sources.map((s) => {
    const wanted = count.get(s.baseSlug)! > 1 ? asciiSlug([...s.folderSlugs, s.baseSlug].join("-")) || s.baseSlug : s.baseSlug;
    let slug = wanted;
    for (let n = 2; taken.has(slug); n++) slug = `${wanted.slice(0, 95).replace(/-+$/, "")}-${n}`;
    taken.add(slug);
    return slug;
  });
}

/** A plain folder of Markdown (sources.ts): every chapter listed, in the folder's order, `/read/<slug>`. */
export function planFolderBook(root: string, warn: (msg: string) => void): BookPlan {
  const meta = readBookMeta(root, warn);
  const sources = readChapterSources(root, warn);
  const slugs = assignSlugs(sources);
  const slugByKey = new Map(sources.map((s, i) => [chapterKey(s.file), slugs[i]!]));
  const pages = sources.map((s, i) => ({
    key: chapterKey(s.file),
    slug: slugs[i]!,
    file: s.file,
    title: s.title,
    fallbackTitle: humanize(slugs[i]!),
    description: s.description,
    sidebarLabel: undefined,
    unlisted: false,
    source: s.markdown,
    // `.md` as CommonMark with raw HTML (as before MDX came in), `.mdx` as MDX.
    render: { ...PLAIN_MARKDOWN, format: /\.mdx$/i.test(s.file) ? "mdx" : "md" } as const,
  }));
  return {
    layout: "folder",
    dir: root,
    staticDir: null,
    title: meta.title,
    tagline: null,
    description: meta.description,
    pages,
    generatedIndexes: [],
    contents: pages.map((p) => ({ type: "doc", id: p.key, label: undefined, ref: false })),
    targets: {
      pageByKey: (key) => slugByKey.get(key),
      exists: (bookPath) => existsSync(path.join(root, bookPath)),
      // Site paths (`/account`) are this site's own pages: kept as written.
      sitePath: (pathname) => ({ href: pathname, external: false }),
    },
  };
}
