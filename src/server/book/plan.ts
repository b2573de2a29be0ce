import type { SidebarItem } from "./contents.ts";
import type { LinkTargets } from "./links.ts";
import type { RenderOptions } from "./render/types.ts";

/**
 * What a book folder holds, before rendering: its pages with their slugs and front matter, and
 * its contents. Made by folder-book.ts for a plain folder and docusaurus/book-plan.ts for a site.
 */
export interface PagePlan {
  /** How the contents name it: the doc id (Docusaurus) or the file without extension (a plain folder). */
  key: string;
  slug: string;
  /** Path inside the book folder; links in the page are relative to it. */
  file: string;
  title: string | undefined;
  /** The title when neither front matter nor a `# heading` gives one. */
  fallbackTitle: string;
  description: string | undefined;
  sidebarLabel: string | undefined;
  unlisted: boolean;
  /** The page's Markdown/MDX as written, after the front matter. */
  source: string;
  /** How to read it: Markdown or MDX, math, diagrams (render.ts). */
  render: RenderOptions;
}

export interface GeneratedIndexPlan {
  slug: string;
  title: string;
  description: string | undefined;
  /** The category whose items the page lists. */
  items: SidebarItem[];
}

export interface BookPlan {
  layout: "folder" | "docusaurus";
  /** The folder the pages' paths are relative to, served at /book-assets/. */
  dir: string;
  /** A Docusaurus site's `static/`, served at /book-static/. */
  staticDir: string | null;
  title: string;
  tagline: string | null;
  description: string | null;
  pages: PagePlan[];
  generatedIndexes: GeneratedIndexPlan[];
  contents: SidebarItem[];
  targets: LinkTargets;
}
