import type { Element, ElementContent, Root, Text } from "hast";
import { toString } from "hast-util-to-string";
import { refractor } from "refractor/all";
import { SKIP, visit } from "unist-util-visit";
import type { VFile } from "vfile";
import type { RenderOptions } from "./types.ts";

/**
 * Code blocks, highlighted once on the server with Prism (refractor: Prism's grammars as syntax
 * trees; why Prism and not Shiki: docs/decisions/017-book-rendering.md). Docusaurus's code-block
 * features as its authors write them:
 *
 * - ```` ```js title="src/a.js" {1,3-5} showLineNumbers ```` : a title, highlighted lines, line numbers;
 * - `// highlight-next-line`, `// highlight-start` … `// highlight-end` (also `#`, `<!-- -->`, `--`, `%`
 *   comments): the comment line is removed and the lines it names are highlighted;
 * - a language Prism does not know is plain text, without a word (no warning per block).
 *
 * Tokens carry Prism's classes (`token keyword`), never inline styles: the colours are CSS
 * variables in the web app's stylesheet, for light and dark alike. ```` ```mermaid ```` becomes a
 * diagram container holding its source, and `$$…$$` math a placeholder KaTeX fills after
 * sanitising (math.ts).
 */
const h = (tagName: string, properties: Element["properties"], children: ElementContent[] = []): Element => ({ type: "element", tagName, properties, children });
const text = (value: string): Text => ({ type: "text", value });

const PLAIN = new Set(["text", "txt", "plain", "plaintext", "none", "output", "console"]);
const MAGIC = /^\s*(?:\/\/|#|\/\*|\{\/\*|<!--|--|;+|%)\s*highlight-(next-line|start|end)\s*(?:\*\/\}|\*\/|-->)?\s*$/;

export interface CodeMeta {
  title: string | undefined;
  /** Highlighted lines, counted from 1. */
  highlight: Set<number>;
  /** The first line's number when lines are numbered (`showLineNumbers`, `showLineNumbers=5`). */
  lineNumbersFrom: number | undefined;
}

/** `title="a.py" {1,3-5} showLineNumbers` → its parts. */
export function parseCodeMeta(meta: string): CodeMeta {
  const title = /(?:^|\s)title=(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(meta);
  const highlight = new Set<number>();
  const ranges = /\{([\d,\s-]+)\}/.exec(meta.replace(/(?:^|\s)title=(?:"[^"]*"|'[^']*')/, ""))?.[1] ?? "";
  for (const part of ranges.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = Math.min(Number(m[2] ?? m[1]), from + 10_000);
    for (let n = from; n <= to; n++) highlight.add(n);
  }
  const numbers = /(?:^|\s)showLineNumbers(?:=(\d+))?(?=\s|$)/.exec(meta);
  return { title: title ? (title[1] ?? title[2] ?? title[3]) : undefined, highlight, lineNumbersFrom: numbers ? Number(numbers[1] ?? 1) : undefined };
}

/** Docusaurus's magic comments: removed, and the lines they name added to `highlight`. */
export function applyMagicComments(code: string, highlight: Set<number>): string {
  if (!code.includes("highlight-")) return code;
  const kept: string[] = [];
  let next = false;
  let range = false;
  for (const line of code.split("\n")) {
    const magic = MAGIC.exec(line)?.[1];
    if (magic === "next-line") next = true;
    else if (magic === "start") range = true;
    else if (magic === "end") range = false;
    else {
      kept.push(line);
      if (next || range) highlight.add(kept.length);
      next = false;
    }
  }
  return kept.join("\n");
}

/** Highlighted nodes cut at line ends, each line keeping the token spans it is inside. */
export function splitLines(nodes: ElementContent[]): ElementContent[][] {
  const lines: ElementContent[][] = [];
  let line: ElementContent[] = [];
  let open: { src: Element; copy: Element }[] = [];
  const push = (value: string, chain: Element[]) => {
    let i = 0;
    while (i < open.length && i < chain.length && open[i]!.src === chain[i]) i++;
    open = open.slice(0, i);
    for (let j = i; j < chain.length; j++) {
      const copy = h(chain[j]!.tagName, chain[j]!.properties);
      (j === 0 ? line : open[j - 1]!.copy.children).push(copy);
      open.push({ src: chain[j]!, copy });
    }
    (open.length ? open[open.length - 1]!.copy.children : line).push(text(value));
  };
  const walk = (list: ElementContent[], chain: Element[]) => {
    for (const node of list) {
      if (node.type === "text") {
        node.value.split("\n").forEach((part, k) => {
          if (k > 0) {
            lines.push(line);
            line = [];
            open = [];
          }
          if (part) push(part, chain);
        });
      } else if (node.type === "element") walk(node.children, [...chain, node]);
    }
  };
  walk(nodes, []);
  lines.push(line);
  return lines;
}

function highlightCode(code: string, lang: string | undefined): ElementContent[] {
  if (!lang || PLAIN.has(lang) || !refractor.registered(lang)) return [text(code)];
  try {
    return refractor.highlight(code, lang).children as ElementContent[];
  } catch {
    return [text(code)];
  }
}

/** One code block as the reader sees it: title, lines (highlighted, numbered), language. */
export function codeBlockElement(rawCode: string, lang: string | undefined, meta: string): Element {
  const parsed = parseCodeMeta(meta);
  const code = applyMagicComments(rawCode.replace(/\n$/, ""), parsed.highlight);
  const lines = splitLines(highlightCode(code, lang));
  const numbered = parsed.lineNumbersFrom !== undefined;
  const codeChildren = lines.map((children, i) => {
    const properties: Element["properties"] = { className: parsed.highlight.has(i + 1) ? ["code-line", "highlighted"] : ["code-line"] };
    if (numbered) properties.dataLine = String(parsed.lineNumbersFrom! + i);
    return h("span", properties, [...children, text("\n")]);
  });
  const langClass = lang ? [`language-${lang}`] : [];
  const preProps: Element["properties"] = { className: langClass };
  if (lang) preProps.dataLanguage = lang;
  if (numbered) preProps.dataLineNumbers = "";
  const pre = h("pre", preProps, [h("code", { className: langClass }, codeChildren)]);
  if (parsed.title) return h("figure", { className: ["code-block"], dataCodeBlock: "" }, [h("figcaption", { className: ["code-title"] }, [text(parsed.title)]), pre]);
  return h("div", { className: ["code-block"], dataCodeBlock: "" }, [pre]);
}

const classes = (el: Element) => (Array.isArray(el.properties.className) ? el.properties.className.map(String) : []);
const languageOf = (el: Element) => classes(el).find((c) => c.startsWith("language-"))?.slice("language-".length).toLowerCase();

/** The rehype step: every `pre > code` and inline math. */
export function rehypeCode(options: Pick<RenderOptions, "mermaid">) {
  return (tree: Root, file: VFile) => {
    const data = file.data.book!;
    visit(tree, "element", (node, index, parent) => {
      if (!parent || index === undefined) return;
      if (node.tagName === "code" && classes(node).includes("math-inline")) {
        data.math.push({ tex: toString(node), display: false });
        parent.children[index] = h("span", { dataMath: String(data.math.length - 1) }, [text(toString(node))]);
        return SKIP;
      }
      if (node.tagName !== "pre") return;
      const code = node.children.find((c): c is Element => c.type === "element" && c.tagName === "code");
      if (!code) return;
      const source = toString(code);
      const lang = languageOf(code);
      let replacement: Element;
      if (classes(code).includes("math-display")) {
        data.math.push({ tex: source, display: true });
        replacement = h("div", { className: ["math-display"] }, [h("span", { dataMath: String(data.math.length - 1) }, [text(source)])]);
      } else if (lang === "mermaid" && options.mermaid) {
        // Drawn in the browser (a later step); until then, and if drawing fails, the source shows.
        replacement = h("div", { className: ["mermaid-diagram"], dataMermaid: "" }, [h("pre", { className: ["mermaid-source"] }, [h("code", { className: ["language-mermaid"] }, [text(source.replace(/\n$/, ""))])])]);
      } else {
        const marked = code.properties.dataMeta;
        const meta = typeof marked === "string" ? marked : ((code.data as { meta?: string } | undefined)?.meta ?? "");
        replacement = codeBlockElement(source, lang, meta);
      }
      parent.children[index] = replacement;
      return SKIP;
    });
  };
}
