/** How a page is read: decided once per book from the site's config (book-plan.ts), per page from its front matter. */
export interface RenderOptions {
  /** `md`: CommonMark with raw HTML; `mdx`: MDX (JSX, expressions, import/export), as Docusaurus decides (`markdown.format`, front-matter `format`). */
  format: "md" | "mdx";
  /** `$…$` and `$$…$$` typeset with KaTeX: the site's config uses remark-math / rehype-katex. */
  math: boolean;
  /** ```` ```mermaid ```` blocks are diagrams (`markdown.mermaid` on a Docusaurus site; always in a plain folder). */
  mermaid: boolean;
  /** This page on the book's own site, for the note that stands in for a component; null when the config gives no URL. */
  siteUrl: string | null;
}

/** Bump when the HTML the renderer makes changes: cached pages of older versions are not used. */
export const RENDERER_VERSION = 1;

/** A plain folder's page: `.md` as CommonMark with raw HTML, diagrams drawn, no math. */
export const PLAIN_MARKDOWN: RenderOptions = { format: "md", math: false, mermaid: true, siteUrl: null };

export interface Heading {
  id: string;
  text: string;
  depth: number;
}

/** The first half of rendering a page, which depends only on its text and options: what the disk cache keeps. */
export interface RenderedSource {
  /** HTML before sanitising, with placeholders for icons and formulas. */
  html: string;
  /** KaTeX's HTML for each formula placeholder. */
  math: string[];
  headings: Heading[];
  /** Ids an author gave (`<a name="x">`, `<span id="y">`), which links may target. */
  anchors: string[];
  /**
   * The page's own `# heading`, taken out of the HTML (the reader's page shows the one h1): as in
   * Docusaurus, the first Markdown heading of the page if it is an h1 and comes before any `---`
   * rule, even after raw HTML such as a `<div>` or other text.
   */
  contentTitle: string | undefined;
  /** Components shown as a note, with how often: `[["BudgetCalculator", 2]]`. */
  components: [string, number][];
  /** Why the page was read as plain Markdown although it should be MDX. */
  problem: string | undefined;
}

/** What the render steps collect about one page (vfile `data.book`). */
export interface RenderData {
  siteUrl: string | null;
  /** Components shown as a note, by name, with how often. */
  components: Map<string, number>;
  /** TeX of each formula, in placeholder order: `{ tex, display }`. */
  math: { tex: string; display: boolean }[];
}

declare module "vfile" {
  interface DataMap {
    book: RenderData;
  }
}
