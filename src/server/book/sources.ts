import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import matter from "gray-matter";
import { z } from "zod";
import { numericPrefix, slugFromFileName } from "./slug.ts";

/**
 * Reading the book folder: chapters are `.md`/`.mdx` files, in reading order. Works on our own
 * layout (`01-intro.md` with `title`/`order` front matter) and on a Docusaurus `docs/` folder
 * (`sidebar_position`, `_category_.json`, nested folders).
 */
export interface ChapterSource {
  /** Path inside the book folder, POSIX separators: `"basics/01-intro.md"`. */
  file: string;
  /** Slug from the file name; made unique across the book by `loadBook`. */
  baseSlug: string;
  /** Folder slugs, outermost first, used to tell apart two `intro.md` in different folders. */
  folderSlugs: string[];
  title: string | undefined;
  description: string | undefined;
  /** The page as written, after the front matter. */
  markdown: string;
}

export interface BookMeta {
  title: string;
  description: string | null;
}

export const DEFAULT_BOOK_TITLE = "AI Book";
const CHAPTER_FILE = /\.mdx?$/i;
const SKIPPED = /^[._]|^node_modules$/; // dotfiles, Docusaurus partials (`_foo.md`), folders like `_category_`

// gray-matter evaluates `---js` front matter with eval(); a book is content, never code.
const refuse = () => {
  throw new Error("only YAML or JSON front matter is accepted");
};
export const MATTER_OPTIONS = { engines: { js: refuse, javascript: refuse, coffee: refuse, cson: refuse } };

/** A front-matter value as text (numbers too), or undefined when empty. */
export const text = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : typeof v === "number" ? String(v) : undefined);
/** A front-matter value as a finite number, or undefined. */
export const number = (v: unknown) => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

const bookJson = z.object({
  title: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(2000).optional(),
});

/** `book.json` in the book folder: `{ "title": ..., "description": ... }`; "AI Book" without it. */
export function readBookMeta(dir: string, warn: (msg: string) => void): BookMeta {
  const file = path.join(dir, "book.json");
  let raw: string;
  try {
    raw = readFileSync(file, "utf8");
  } catch {
    return { title: DEFAULT_BOOK_TITLE, description: null };
  }
  let parsed: z.infer<typeof bookJson> = {};
  try {
    const result = bookJson.safeParse(JSON.parse(raw));
    if (result.success) parsed = result.data;
    else warn(`${file}: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  } catch (err) {
    warn(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return { title: parsed.title ?? DEFAULT_BOOK_TITLE, description: parsed.description || null };
}

interface Entry {
  name: string;
  order: number | undefined;
  chapter?: ChapterSource & { order: number | undefined };
  folder?: string;
}

function folderOrder(absDir: string, name: string): number | undefined {
  try {
    const category = JSON.parse(readFileSync(path.join(absDir, "_category_.json"), "utf8")) as { position?: unknown };
    const position = number(category.position);
    if (position !== undefined) return position;
  } catch {
    // no or unreadable _category_.json: fall back to the folder name
  }
  return numericPrefix(name);
}

function readChapter(absFile: string, file: string, folderSlugs: string[]): ChapterSource & { order: number | undefined } {
  const raw = readFileSync(absFile, "utf8").replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const { data, content } = matter(raw, MATTER_OPTIONS) as { data: Record<string, unknown>; content: string };
  const name = path.posix.basename(file);
  return {
    file,
    baseSlug: slugFromFileName(name),
    folderSlugs,
    title: text(data.title),
    description: text(data.description),
    order: number(data.order) ?? number(data.sidebar_position) ?? numericPrefix(name),
    markdown: content,
  };
}

const byOrderThenName = (a: Entry, b: Entry) =>
  (a.order ?? Infinity) - (b.order ?? Infinity) || a.name.localeCompare(b.name, "en", { numeric: true });

/**
 * Every chapter under `dir` in reading order: within a folder by `order` / `sidebar_position` /
 * numeric prefix, then by name; sub-folders take their place among the files (by
 * `_category_.json` position or numeric prefix) and are read through before the next entry.
 * A chapter that cannot be read is reported and left out; the rest of the book still loads.
 */
export function readChapterSources(dir: string, warn: (msg: string) => void, rel = "", folderSlugs: string[] = []): ChapterSource[] {
  const absDir = path.join(dir, rel);
  const entries: Entry[] = [];
  for (const dirent of readdirSync(absDir, { withFileTypes: true })) {
    if (SKIPPED.test(dirent.name)) continue;
    const file = rel ? `${rel}/${dirent.name}` : dirent.name;
    // Symlinked folders are not followed: no loops, no reading outside the book by accident.
    if (dirent.isDirectory()) {
      entries.push({ name: dirent.name, order: folderOrder(path.join(absDir, dirent.name), dirent.name), folder: file });
    } else if (CHAPTER_FILE.test(dirent.name)) {
      try {
        const chapter = readChapter(path.join(absDir, dirent.name), file, folderSlugs);
        entries.push({ name: dirent.name, order: chapter.order, chapter });
      } catch (err) {
        warn(`${file}: left out of the book (${(err as Error).message.split("\n")[0]})`);
      }
    }
  }
  entries.sort(byOrderThenName);
  return entries.flatMap(({ chapter, folder, name }) => {
    if (folder) return readChapterSources(dir, warn, folder, [...folderSlugs, slugFromFileName(name)]);
    const { order: _order, ...source } = chapter!;
    return [source];
  });
}
