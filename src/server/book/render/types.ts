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
