import { existsSync, statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { ContentsItem } from "../../shared/api/book.ts";
import type { SidebarItem } from "./contents.ts";
import { planDocusaurusBook } from "./docusaurus/book-plan.ts";
import { readDocusaurusSite } from "./docusaurus/site.ts";
import { planFolderBook } from "./folder-book.ts";
import { generatedIndexHtml } from "./generated-index.ts";
import { linkRewriter, type LinkLog } from "./links.ts";
import type { BookPlan } from "./plan.ts";
import { diskRenderCache, noRenderCache, renderCacheKey, type RenderCache } from "./render/cache.ts";
import { finishChapter } from "./render/trusted.ts";
import { RENDERER_VERSION, type Heading, type RenderedSource } from "./render/types.ts";
import { DEFAULT_BOOK_TITLE } from "./sources.ts";

/** The book, loaded and rendered once (and again on change in development). */
export interface ChapterSummary {
  slug: string;
  title: string;
  /** Position in reading order, from 1. */
  order: number;
  description: string | null;
}

export interface Chapter {
  slug: string;
  /** Docusaurus's title: front-matter `title`, else the `# heading`, else the file name. For the tab, the contents, previous/next. */
  title: string;
  /** The page's one h1: its own `# heading` on a Docusaurus page that has one, else the title. */
  heading: string;
  /** Position in reading order, from 1; null for a page the contents do not list. */
  order: number | null;
  description: string | null;
  kind: "doc" | "generated-index";
  /** Listed in the contents (in the first sidebar, not `unlisted`). */
  listed: boolean;
  /** Path inside the book folder ("" for a generated index). */
  file: string;
  /** The page's Markdown/MDX as written, for renderers that read MDX (issue 14). */
  source: string;
  /** Sanitised HTML, without the chapter's own `# heading`. */
  html: string;
  headings: Heading[];
  /** Other ids links may target: an author's `<a name>` and `id` anchors. */
  anchors: string[];
}

export interface Book {
  /** The folder the pages come from (a Docusaurus site's docs folder), served at /book-assets/. */
  dir: string;
  /** A Docusaurus site's `static/`, served at /book-static/. */
  staticDir: string | null;
  layout: "folder" | "docusaurus";
  title: string;
  tagline: string | null;
  description: string | null;
  /** The listed pages in reading order: the contents, depth first. */
  chapters: readonly Chapter[];
  /** Every page served, listed or not. */
  pages: readonly Chapter[];
  contents: ContentsItem[];
  /** The pages the chat draws on: listed docs (not generated indexes, not unlisted or left-out pages). */
  forChat: readonly Chapter[];
  find(slug: string): Chapter | undefined;
}

type Warn = (msg: string) => void;

function emptyBook(dir: string): Book {
  return { dir, staticDir: null, layout: "folder", title: DEFAULT_BOOK_TITLE, tagline: null, description: null, chapters: [], pages: [], contents: [], forChat: [], find: () => undefined };
}

export interface LoadOptions {
  /** Rendered pages kept between starts (render/cache.ts); none by default. */
  cache?: RenderCache;
}

/** Read and render every page under `dir`. Never throws for bad content: every problem goes into one warning. */
export async function loadBook(dir: string, warn: Warn = () => {}, options: LoadOptions = {}): Promise<Book> {
  const root = path.resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    warn(`BOOK_DIR ${root} is not a folder: the book has no chapters`);
    return emptyBook(root);
  }
  const problems: string[] = [];
  const note = (msg: string) => problems.push(msg);
  let book: Book;
  try {
    const site = await readDocusaurusSite(root, note);
    const plan = site ? await planDocusaurusBook(site, note) : planFolderBook(root, note);
    book = buildBook(plan, note, await renderAll(plan, options.cache ?? noRenderCache()));
  } catch (err) {
    note(`BOOK_DIR ${root} cannot be read (${(err as Error).message}): the book has no chapters`);
    book = emptyBook(root);
  }
  if (problems.length === 1) warn(problems[0]!);
  else if (problems.length > 1) warn(`The book has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return book;
}

/**
 * The components shown as a note, in one line of the startup warning:
 * `BudgetCalculator (2 times: a.mdx, b.mdx), BrowserOnly (1 time: c.mdx)`.
 */
function componentsNote(found: Map<string, { count: number; files: Set<string> }>): string | undefined {
  if (found.size === 0) return undefined;
  const list = [...found].map(([name, { count, files }]) => `${name} (${count} ${count === 1 ? "time" : "times"}: ${[...files].join(", ")})`);
  return `${found.size === 1 ? "a component" : `${found.size} components`} only the book's own site can show, each replaced by a note: ${list.join("; ")}`;
}

/**
 * Each page's first half of rendering, from the cache or rendered now. The renderer (parser,
 * highlighter, KaTeX) is loaded only when some page is not in the cache: a warm start skips it.
 */
async function renderAll(plan: BookPlan, cache: RenderCache): Promise<RenderedSource[]> {
  let renderer: typeof import("./render.ts") | undefined;
  const out: RenderedSource[] = [];
  for (const page of plan.pages) {
    const key = renderCacheKey(page.source, page.render, RENDERER_VERSION);
    let rendered = cache.get(key);
    if (!rendered) {
      renderer ??= await import("./render.ts");
      rendered = renderer.renderSource(page.source, page.render);
      cache.set(key, rendered);
    }
    out.push(rendered);
  }
  return out;
}

function buildBook(plan: BookPlan, note: Warn, renderedPages: RenderedSource[]): Book {
  const links: { from: string; slug: string; fragment: string }[] = [];
  const log: LinkLog = {
    broken: (from, href) => note(`${from}: the link ${href} leads nowhere`),
    toPage: (from, slug, fragment) => links.push({ from, slug, fragment }),
  };

  const components = new Map<string, { count: number; files: Set<string> }>();
  const docs: Chapter[] = plan.pages.map((page, i) => {
    const rendered = renderedPages[i]!;
    if (rendered.problem) note(`${page.file}: ${rendered.problem}`);
    for (const [name, count] of rendered.components) {
      const seen = components.get(name) ?? { count: 0, files: new Set<string>() };
      seen.count += count;
      seen.files.add(page.file);
      components.set(name, seen);
    }
    const html = finishChapter(rendered, linkRewriter(page.file, plan.targets, log, page.slug));
    const title = page.title ?? rendered.contentTitle ?? page.fallbackTitle;
    return {
      slug: page.slug,
      title,
      // Docusaurus shows the page's own `# heading` as its h1; our folder layout always showed the title.
      heading: plan.layout === "docusaurus" ? (rendered.contentTitle ?? title) : title,
      order: null,
      description: page.description ?? null,
      kind: "doc",
      listed: false,
      file: page.file,
      source: page.source,
      html,
      headings: rendered.headings,
      anchors: rendered.anchors,
    };
  });
  const unknown = componentsNote(components);
  if (unknown) note(unknown);
  const byKey = new Map(plan.pages.map((p, i) => [p.key, docs[i]!]));
  const unlisted = new Set(plan.pages.filter((p) => p.unlisted).map((p) => p.key));
  const labelOf = new Map(plan.pages.map((p, i) => [p.key, p.sidebarLabel ?? docs[i]!.title]));

  const indexes: Chapter[] = plan.generatedIndexes.map((g) => ({
    slug: g.slug,
    title: g.title,
    heading: g.title,
    order: null,
    description: g.description ?? null,
    kind: "generated-index",
    listed: false,
    file: "",
    source: "",
    html: "",
    headings: [],
    anchors: [],
  }));
  const bySlug = new Map([...docs, ...indexes].map((c) => [c.slug, c]));

  // The contents for the API, without unlisted docs; and the reading order, depth first.
  const reading: Chapter[] = [];
  const read = (c: Chapter | undefined) => {
    if (c && !c.listed) {
      c.listed = true;
      reading.push(c);
    }
  };
  const toContents = (items: SidebarItem[]): ContentsItem[] =>
    items.flatMap((item): ContentsItem[] => {
      if (item.type === "link") return [{ type: "link", label: item.label, href: item.href }];
      if (item.type === "doc") {
        const doc = byKey.get(item.id);
        if (!doc || unlisted.has(item.id)) return [];
        if (!item.ref) read(doc);
        return [{ type: "doc", label: item.label ?? labelOf.get(item.id)!, slug: doc.slug }];
      }
      const link = item.link?.type === "doc" ? (unlisted.has(item.link.id) ? undefined : byKey.get(item.link.id)) : item.link ? bySlug.get(item.link.slug) : undefined;
      read(link);
      const children = toContents(item.items);
      if (children.length === 0 && !link) return [];
      return [{ type: "category", label: item.label, collapsed: item.collapsed, collapsible: item.collapsible, link: link && item.link ? { type: item.link.type, slug: link.slug } : null, items: children }];
    });
  const contents = toContents(plan.contents);
  reading.forEach((c, i) => (c.order = i + 1));

  // A generated index lists its category's items, as Docusaurus's card list does (and a category's own doc, with `<DocCardList />`).
  const categories = new Map<string, ContentsItem[]>();
  const collect = (items: ContentsItem[]) =>
    items.forEach((it) => {
      if (it.type !== "category") return;
      if (it.link) categories.set(it.link.slug, it.items);
      collect(it.items);
    });
  collect(contents);
  for (const page of indexes) page.html = generatedIndexHtml(categories.get(page.slug) ?? [], bySlug);
  // `<DocCardList />` on a category's own page lists that category's items, as on the site.
  for (const doc of docs) {
    if (doc.html.includes("data-doc-card-list")) doc.html = doc.html.replace(/<div data-doc-card-list(?:="")?><\/div>/g, generatedIndexHtml(categories.get(doc.slug) ?? [], bySlug));
  }

  // Links into a page's #anchor: the heading must exist there.
  for (const { from, slug, fragment } of links) {
    const target = bySlug.get(slug);
    if (!target) note(`${from}: the link to /read/${slug} leads nowhere`);
    else if (fragment && !target.headings.some((h) => h.id === fragment) && !target.anchors.includes(fragment)) note(`${from}: the link to #${fragment} in ${target.file || slug} leads nowhere (no such heading or anchor)`);
  }

  const pages = [...docs, ...indexes];
  return {
    dir: plan.dir,
    staticDir: plan.staticDir,
    layout: plan.layout,
    title: plan.title,
    tagline: plan.tagline,
    description: plan.description,
    chapters: reading,
    pages,
    contents,
    forChat: reading.filter((c) => c.kind === "doc"),
    find: (slug) => bySlug.get(slug),
  };
}

export function chapterSummary(c: Chapter): ChapterSummary {
  return { slug: c.slug, title: c.title, order: c.order ?? 0, description: c.description };
}

export interface ChapterLink {
  slug: string;
  title: string;
}

/** The pages before and after `chapter` in reading order (null at either end, and for pages not listed). */
export function neighbours(book: Book, chapter: Chapter): { prev: ChapterLink | null; next: ChapterLink | null } {
  const link = (c: Chapter | undefined) => (c ? { slug: c.slug, title: c.title } : null);
  if (chapter.order === null) return { prev: null, next: null };
  return { prev: link(book.chapters[chapter.order - 2]), next: link(book.chapters[chapter.order]) };
}

export interface BookStore {
  /** The book as loaded last; a new object after each reload, so callers can cache by identity. */
  current(): Book;
  /** Stop watching the folder. */
  close(): void;
}

/**
 * Load the book now; with `watch`, load it again whenever a file under the folder changes
 * (for authors running `npm run dev`). A reload that fails keeps the previous book.
 */
export async function createBookStore(options: {
  dir: string;
  logger: Logger;
  watch?: boolean;
  /** Where rendered pages are kept between starts (e.g. DATA_DIR/cache/book); none when not given. */
  cacheDir?: string;
  /** Called with the book after the first load and after every reload (e.g. to index it for chat). */
  onLoad?: (book: Book) => void;
}): Promise<BookStore> {
  const { logger, onLoad } = options;
  const warn: Warn = (msg) => logger.warn(msg);
  const started = performance.now();
  const cache = options.cacheDir ? diskRenderCache(options.cacheDir, warn) : noRenderCache();
  let book = await loadBook(options.dir, warn, { cache });
  logger.info(
    { dir: book.dir, layout: book.layout, chapters: book.chapters.length, pages: book.pages.length, cached: cache.stats.hits, ms: Math.round(performance.now() - started) },
    `book "${book.title}" loaded`,
  );
  onLoad?.(book);

  let watcher: FSWatcher | undefined;
  if (options.watch && book.pages.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    let generation = 0;
    try {
      watcher = watch(book.dir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const mine = ++generation;
          loadBook(options.dir, warn, { cache }).then(
            (next) => {
              if (mine !== generation) return; // a newer reload is under way
              book = next;
              onLoad?.(book);
              logger.info({ chapters: book.chapters.length }, "book reloaded");
            },
            (err: unknown) => logger.error({ err: (err as Error).message }, "book reload failed; keeping the previous version"),
          );
        }, 150);
      });
      watcher.on("error", (err) => logger.warn({ err: err.message }, "no longer watching the book folder"));
      watcher.unref();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "cannot watch the book folder; restart to see changes");
    }
  }
  return {
    current: () => book,
    close: () => watcher?.close(),
  };
}
