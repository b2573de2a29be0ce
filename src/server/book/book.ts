import { existsSync, statSync, watch, type FSWatcher } from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { chapterKey, linkRewriter } from "./links.ts";
import { renderChapter, type Heading } from "./render.ts";
import { DEFAULT_BOOK_TITLE, readBookMeta, readChapterSources, type ChapterSource } from "./sources.ts";
import { asciiSlug, humanize } from "./slug.ts";

/** The book, loaded and rendered once (and again on change in development). */
export interface ChapterSummary {
  slug: string;
  title: string;
  /** Position in reading order, from 1. */
  order: number;
  description: string | null;
}

export interface Chapter extends ChapterSummary {
  /** Path inside the book folder. */
  file: string;
  /** Sanitised HTML, without the chapter's leading `# title`. */
  html: string;
  headings: Heading[];
}

export interface Book {
  dir: string;
  title: string;
  description: string | null;
  chapters: readonly Chapter[];
  find(slug: string): Chapter | undefined;
}

type Warn = (msg: string) => void;

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

/** Read and render every chapter under `dir`. Never throws for bad content: problems go to `warn`. */
export function loadBook(dir: string, warn: Warn = () => {}): Book {
  const root = path.resolve(dir);
  const empty: Book = { dir: root, title: DEFAULT_BOOK_TITLE, description: null, chapters: [], find: () => undefined };
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    warn(`BOOK_DIR ${root} is not a folder: the book has no chapters`);
    return empty;
  }
  const meta = readBookMeta(root, warn);
  let sources: ChapterSource[];
  try {
    sources = readChapterSources(root, warn);
  } catch (err) {
    warn(`BOOK_DIR ${root} cannot be read (${(err as Error).message}): the book has no chapters`);
    return { ...empty, ...meta };
  }
  const slugs = assignSlugs(sources);
  const slugByKey = new Map(sources.map((s, i) => [chapterKey(s.file), slugs[i]!]));

  const chapters: Chapter[] = sources.map((source, i) => {
    const slug = slugs[i]!;
    const rendered = renderChapter(source.markdown, linkRewriter(source.file, slugByKey));
    return {
      slug,
      title: source.title ?? rendered.leadingTitle ?? humanize(slug),
      order: i + 1,
      description: source.description ?? null,
      file: source.file,
      html: rendered.html,
      headings: rendered.headings,
    };
  });
  const bySlug = new Map(chapters.map((c) => [c.slug, c]));
  return { dir: root, ...meta, chapters, find: (slug) => bySlug.get(slug) };
}

export function chapterSummary(c: Chapter): ChapterSummary {
  return { slug: c.slug, title: c.title, order: c.order, description: c.description };
}

export interface ChapterLink {
  slug: string;
  title: string;
}

/** The chapters before and after `chapter` in reading order (null at either end). */
export function neighbours(book: Book, chapter: Chapter): { prev: ChapterLink | null; next: ChapterLink | null } {
  const link = (c: Chapter | undefined) => (c ? { slug: c.slug, title: c.title } : null);
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
export function createBookStore(options: {
  dir: string;
  logger: Logger;
  watch?: boolean;
  /** Called with the book after the first load and after every reload (e.g. to index it for chat). */
  onLoad?: (book: Book) => void;
}): BookStore {
  const { logger, onLoad } = options;
  const warn: Warn = (msg) => logger.warn(msg);
  const started = performance.now();
  let book = loadBook(options.dir, warn);
  logger.info(
    { dir: book.dir, chapters: book.chapters.length, ms: Math.round(performance.now() - started) },
    `book "${book.title}" loaded`,
  );
  onLoad?.(book);

  let watcher: FSWatcher | undefined;
  if (options.watch && book.chapters.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    try {
      watcher = watch(book.dir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          try {
            book = loadBook(options.dir, warn);
            onLoad?.(book);
            logger.info({ chapters: book.chapters.length }, "book reloaded");
          } catch (err) {
            logger.error({ err: (err as Error).message }, "book reload failed; keeping the previous version");
          }
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
