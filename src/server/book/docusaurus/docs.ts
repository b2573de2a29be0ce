import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import matter from "gray-matter";
import { MATTER_OPTIONS, number, text } from "../sources.ts";
import { docIdentity } from "./ids.ts";

/** One `.md`/`.mdx` file of a Docusaurus docs folder, with the metadata Docusaurus reads from it. */
export interface DocFile {
  /** Path inside the docs folder, POSIX: `"01-basics/02-intro.md"`. */
  file: string;
  id: string;
  /** Docusaurus's slug, with a leading slash: `/basics/intro`, `/` for the docs' home. */
  slug: string;
  title: string | undefined;
  description: string | undefined;
  sidebarLabel: string | undefined;
  /** `sidebar_position` front matter, else the file name's number prefix. */
  sidebarPosition: number | undefined;
  unlisted: boolean;
  /** The Markdown/MDX after the front matter, as the author wrote it. */
  source: string;
  /** Front-matter `format` (`md`, `mdx`, `detect`): how Docusaurus parses this one page. */
  format: "md" | "mdx" | "detect" | undefined;
}

// Docusaurus leaves out `_`-prefixed files and folders (partials), tests, and dotfiles.
const SKIPPED = /^[._]|^node_modules$|^__tests__$|\.test\.[jt]sx?$/;
const DOC_FILE = /\.mdx?$/i;

/** Every doc file under `docsDir`, in path order (folders and files by name, as Docusaurus lists them). */
export function listDocFiles(docsDir: string, rel = ""): string[] {
  const entries = readdirSync(path.join(docsDir, rel), { withFileTypes: true })
    .filter((d) => !SKIPPED.test(d.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return entries.flatMap((d) => {
    const file = rel ? `${rel}/${d.name}` : d.name;
    // Symlinked folders are not followed: no loops, no reading outside the book by accident.
    if (d.isDirectory()) return listDocFiles(docsDir, file);
    return d.isFile() && DOC_FILE.test(d.name) ? [file] : [];
  });
}

/**
 * The docs under `docsDir` with their ids and slugs. Drafts (`draft: true`) are left out entirely,
 * as in a Docusaurus production build (their ids go to `drafts`, so a sidebar may name them without
 * a warning); files that cannot be read are reported and left out.
 */
export function readDocs(docsDir: string, warn: (msg: string) => void, drafts = new Set<string>()): DocFile[] {
  const docs: DocFile[] = [];
  for (const file of listDocFiles(docsDir)) {
    let data: Record<string, unknown>;
    let content: string;
    try {
      const raw = readFileSync(path.join(docsDir, file), "utf8").replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
      ({ data, content } = matter(raw, MATTER_OPTIONS) as { data: Record<string, unknown>; content: string });
    } catch (err) {
      warn(`${file}: left out of the book (${(err as Error).message.split("\n")[0]})`);
      continue;
    }
    let frontId = text(data.id);
    if (frontId?.includes("/")) {
      warn(`${file}: front-matter id "${frontId}" cannot contain "/"; the file name is used`);
      frontId = undefined;
    }
    const identity = docIdentity(file, { id: frontId, slug: text(data.slug), parseNumberPrefixes: data.parse_number_prefixes !== false });
    if (data.draft === true) {
      drafts.add(identity.id);
      continue;
    }
    docs.push({
      file,
      id: identity.id,
      slug: identity.slug,
      title: text(data.title),
      description: text(data.description),
      sidebarLabel: text(data.sidebar_label),
      sidebarPosition: number(data.sidebar_position) ?? identity.numberPrefix,
      unlisted: data.unlisted === true,
      source: content,
      format: data.format === "md" || data.format === "mdx" || data.format === "detect" ? data.format : undefined,
    });
  }
  return docs;
}
