import remarkComment from "@slorber/remark-comment";
import type { Root as HastRoot } from "hast";
import { toHtml } from "hast-util-to-html";
import type { Root as MdastRoot } from "mdast";
import rehypeRaw from "rehype-raw";
import remarkDirective from "remark-directive";
import remarkGfm from "remark-gfm";
import remarkMath from "remark-math";
import remarkMdx from "remark-mdx";
import remarkParse from "remark-parse";
import remarkRehype from "remark-rehype";
import { unified, type PluggableList, type Processor } from "unified";
import { visit } from "unist-util-visit";
import { VFile } from "vfile";
import { rehypeCode } from "./render/code.ts";
import { MDX_NODE_TYPES, rehypeMdxComponents } from "./render/components.ts";
import { rehypeEmbeds } from "./render/embeds.ts";
import { remarkAdmonitions } from "./render/directives.ts";
import katex from "katex";
import { outline } from "./render/headings.ts";
import { preprocess } from "./render/preprocess.ts";
import { finishChapter } from "./render/trusted.ts";
import { PLAIN_MARKDOWN, type RenderData, type RenderedSource, type RenderOptions } from "./render/types.ts";
import type { LinkRewriter } from "./sanitize.ts";

/**
 * A page's Markdown or MDX → safe HTML, with the unified toolchain Docusaurus runs on (remark,
 * remark-mdx, remark-gfm, remark-directive, remark-math, rehype). Two halves:
 *
 * - `renderSource` (here) does the work that depends only on the page and its options (parsing,
 *   components, highlighting, KaTeX); its result is what the disk cache keeps (render/cache.ts).
 *   This module is loaded only when a page is not in the cache.
 * - `finishChapter` (render/trusted.ts) sanitises it with the book's links (which depend on the
 *   other pages) and puts in the icons and formulas.
 *
 * Nothing in a page is ever run: MDX is parsed to a syntax tree and turned into HTML.
 */
export { PLAIN_MARKDOWN, RENDERER_VERSION, type Heading, type RenderedSource, type RenderOptions } from "./render/types.ts";
export { finishChapter } from "./render/trusted.ts";

export interface RenderedChapter extends Omit<RenderedSource, "math"> {
  html: string;
}

/**
 * Marks on the Markdown tree that must survive into HTML, also through rehype-raw (which keeps
 * attributes, not `data`): headings written in Markdown (only they are part of the outline,
 * headings.ts), and each code fence's meta string (`title="a.py" {1,3}`, code.ts).
 */
function remarkMarks() {
  return (tree: MdastRoot) =>
    visit(tree, (node) => {
      if (node.type === "heading") node.data = { ...node.data, hProperties: { ...(node.data?.hProperties ?? {}), dataMd: "" } };
      else if (node.type === "code" && node.meta) node.data = { ...node.data, hProperties: { ...(node.data?.hProperties ?? {}), dataMeta: node.meta } };
    });
}

const processors = new Map<string, Processor>();

function processor(options: RenderOptions): Processor {
  const key = `${options.format} ${options.math} ${options.mermaid}`;
  let p = processors.get(key);
  if (p) return p;
  const mdx = options.format === "mdx";
  const plugins: PluggableList = [
    remarkParse,
    // MDX as Docusaurus reads it, `<!-- comments -->` included (its "mdx1Compat.comments", on by default).
    ...(mdx ? [remarkMdx, remarkComment] : []),
    remarkGfm,
    remarkDirective,
    ...(options.math ? [remarkMath] : []),
    remarkAdmonitions,
    remarkMarks,
    mdx ? [remarkRehype, { passThrough: MDX_NODE_TYPES }] : [remarkRehype, { allowDangerousHtml: true }],
    mdx ? rehypeMdxComponents : rehypeRaw,
    rehypeEmbeds,
    [rehypeCode, { mermaid: options.mermaid }],
  ];
  p = unified().use(plugins).freeze() as unknown as Processor;
  processors.set(key, p);
  return p;
}

function run(text: string, options: RenderOptions): { tree: HastRoot; data: RenderData } {
  const data: RenderData = { siteUrl: options.siteUrl, components: new Map(), math: [] };
  const file = new VFile({ value: preprocess(text, options.format), data: { book: data } });
  const p = processor(options);
  const tree = p.runSync(p.parse(file), file) as HastRoot;
  return { tree, data };
}

/** Top-level `import`/`export` paragraphs, when an MDX page had to be read as Markdown. */
function dropModuleParagraphs(text: string): string {
  return text.replace(/(^|\n\n)(?:import|export)\s[^\n]*(?:\n(?!\n)[^\n]*)*/g, "$1");
}

/** KaTeX with `trust: false` (no \href, \url, \includegraphics, \html…): its output is safe HTML by KaTeX's own guarantee (render/trusted.ts). */
function typeset(tex: string, display: boolean): string {
  return katex.renderToString(tex, { displayMode: display, throwOnError: false, trust: false, strict: "ignore", output: "htmlAndMathml", maxSize: 50, maxExpand: 1000 });
}

/** Parse and render one page; never throws for bad content (an MDX error means reading it as Markdown). */
export function renderSource(text: string, options: RenderOptions): RenderedSource {
  let result: { tree: HastRoot; data: RenderData };
  let problem: string | undefined;
  try {
    result = run(text, options);
  } catch (err) {
    if (options.format !== "mdx") throw err;
    const e = err as { reason?: string; message?: string; line?: number; column?: number };
    const where = e.line ? ` at line ${e.line}:${e.column ?? 1}` : "";
    problem = `not valid MDX (${(e.reason ?? e.message ?? String(err)).split("\n")[0]}${where}); shown as plain Markdown`;
    result = run(dropModuleParagraphs(text), { ...options, format: "md" });
  }
  const { headings, anchors, contentTitle } = outline(result.tree);
  return {
    html: toHtml(result.tree).trim(),
    math: result.data.math.map((m) => typeset(m.tex, m.display)),
    headings,
    anchors,
    contentTitle,
    components: [...result.data.components],
    problem,
  };
}

/** Both halves at once (tests, one-off pages). */
export function renderChapter(text: string, links: LinkRewriter, options: RenderOptions = PLAIN_MARKDOWN): RenderedChapter {
  const rendered = renderSource(text, options);
  const { math: _math, ...rest } = rendered;
  return { ...rest, html: finishChapter(rendered, links) };
}
