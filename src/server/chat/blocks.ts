/**
 * A chapter's rendered HTML read block by block for the chat (issue 14, item 7): prose
 * paragraphs, list items, table rows, admonitions with their title, and code blocks kept as code,
 * with their language and their lines. Answers quote these blocks; a block is never cut.
 *
 * The HTML is the book's own sanitised render (book/render/), so a small tag walker suffices:
 * no scripts, and every element is closed.
 */
export type Block =
  | { type: "prose"; text: string }
  | { type: "code"; language: string; code: string; title?: string };

interface El {
  tag: string;
  attrs: string;
  children: Node[];
}
type Node = El | string;

const VOID = new Set(["area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ",
  mdash: "—", ndash: "–", hellip: "…", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", laquo: "«", raquo: "»", copy: "©", times: "×",
};

/** `&lt;`, `&#39;`, `&#x2014;`: the character, or the reference unchanged when it names none (never throws). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#?\w+);/g, (ref, e: string) => {
    if (!e.startsWith("#")) return ENTITIES[e] ?? ref;
    const code = /^#x[0-9a-f]+$/i.test(e) ? parseInt(e.slice(2), 16) : /^#\d+$/.test(e) ? Number(e.slice(1)) : NaN;
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ref;
  });
}

function parse(html: string): El {
  const root: El = { tag: "#root", attrs: "", children: [] };
  const stack: El[] = [root];
  const re = /<!--[\s\S]*?-->|<(\/?)([a-zA-Z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|[^<]+|</g;
  for (const m of html.matchAll(re)) {
    const top = stack[stack.length - 1]!;
    if (m[0].startsWith("<!--")) continue;
    if (!m[2]) {
      top.children.push(m[0]);
      continue;
    }
    const tag = m[2].toLowerCase();
    if (m[1]) {
      const at = stack.map((e) => e.tag).lastIndexOf(tag);
      if (at > 0) stack.length = at;
      continue;
    }
    const el: El = { tag, attrs: m[3] ?? "", children: [] };
    top.children.push(el);
    if (!VOID.has(tag) && !/\/\s*$/.test(el.attrs)) stack.push(el);
  }
  return root;
}

function attr(el: El, name: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${name}(?:="([^"]*)"|='([^']*)'|(?=[\\s/]|$))`, "i").exec(el.attrs);
  return m ? decodeEntities(m[1] ?? m[2] ?? "") : undefined;
}
const hasClass = (el: El, name: string) => (attr(el, "class") ?? "").split(/\s+/).includes(name);
const find = (el: El, test: (e: El) => boolean): El | undefined => {
  for (const c of el.children) {
    if (typeof c === "string") continue;
    if (test(c)) return c;
    const d = find(c, test);
    if (d) return d;
  }
  return undefined;
};

/** The characters of an element as written (code keeps its spaces and line breaks). */
function rawText(el: El): string {
  return el.children.map((c) => (typeof c === "string" ? decodeEntities(c) : rawText(c))).join("");
}

/** Parts the chat never reads: markup for the eye only, and notes of ours about components. */
function skipped(el: El): boolean {
  if (["script", "style", "svg", "template", "button", "img"].includes(el.tag)) return true;
  if (attr(el, "aria-hidden") === "true") return true;
  // A diagram's source is no prose (mermaid), and "this reader cannot show…" is our text, not the book's.
  return hasClass(el, "visually-hidden") || hasClass(el, "mermaid-diagram") || hasClass(el, "component-note");
}

/** Inline text with `code` spans as Markdown code (so `__init__` is never read as emphasis). */
function inlineText(nodes: Node[]): string {
  let out = "";
  for (const c of nodes) {
    if (typeof c === "string") out += decodeEntities(c);
    else if (skipped(c)) continue;
    else if (c.tag === "br") out += "\n";
    else if (hasClass(c, "katex-display")) {
      const tex = find(c, (e) => e.tag === "annotation");
      out += tex ? `$$${rawText(tex).trim()}$$` : "";
    } else if (hasClass(c, "katex")) {
      // KaTeX writes each formula twice (MathML and HTML): read its TeX source once.
      const tex = find(c, (e) => e.tag === "annotation");
      out += tex ? `$${rawText(tex).trim()}$` : "";
    } else if (c.tag === "code") out += codeSpan(rawText(c));
    else out += inlineText(c.children);
  }
  return out;
}

function codeSpan(code: string): string {
  const ticks = Math.max(0, ...(code.match(/`+/g) ?? []).map((t) => t.length)) + 1;
  const fence = "`".repeat(ticks);
  return code.includes("`") ? `${fence} ${code} ${fence}` : `${fence}${code}${fence}`;
}

const tidy = (s: string) => s.replace(/[ \t\r\n]+/g, " ").trim();

const BLOCK = new Set([
  "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
  "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
]);

function codeBlock(pre: El, title?: string): Block {
  const code = find(pre, (e) => e.tag === "code") ?? pre;
  const language = attr(pre, "data-language") ?? /(?:^|\s)language-([\w+#-]+)/.exec(attr(code, "class") ?? "")?.[1] ?? "";
  return { type: "code", language, code: rawText(code).replace(/\n+$/, ""), ...(title ? { title } : {}) };
}

/** The blocks of a fragment of the book's HTML, in reading order. */
export function blocksOf(html: string): Block[] {
  const out: Block[] = [];
  walk(parse(html).children, out);
  return out;
}

function walk(nodes: Node[], out: Block[]): void {
  let inline: Node[] = [];
  const flush = () => {
    const text = tidy(inlineText(inline));
    if (text) out.push({ type: "prose", text });
    inline = [];
  };
  for (const c of nodes) {
    if (typeof c === "string" || (!BLOCK.has(c.tag) && !hasClass(c, "katex-display"))) {
      inline.push(c);
      continue;
    }
    flush();
    if (skipped(c)) continue;
    if (c.tag === "pre") out.push(codeBlock(c));
    else if (c.tag === "figure" && find(c, (e) => e.tag === "pre")) {
      const caption = find(c, (e) => e.tag === "figcaption");
      out.push(codeBlock(find(c, (e) => e.tag === "pre")!, caption ? tidy(rawText(caption)) : undefined));
    } else if (c.tag === "table") out.push(...tableBlock(c));
    else if (c.tag === "aside" && hasClass(c, "admonition")) out.push(...admonition(c));
    else if (["p", "li", "dt", "dd", "summary", "figcaption"].includes(c.tag) || /^h[1-6]$/.test(c.tag)) {
      // A list item may hold a nested list or code: its own words first, then those as blocks.
      walk(c.children, out);
    } else walk(c.children, out);
  }
  flush();
}

/** A table reads as one block, a row a line: "cell; cell; cell." */
function tableBlock(table: El): Block[] {
  const rows: string[] = [];
  const visit = (el: El) => {
    for (const c of el.children) {
      if (typeof c === "string") continue;
      if (c.tag === "tr") {
        const cells = c.children.filter((x): x is El => typeof x !== "string" && (x.tag === "td" || x.tag === "th")).map((x) => tidy(inlineText(x.children)));
        if (cells.some(Boolean)) rows.push(`${cells.join("; ")}.`);
      } else visit(c);
    }
  };
  visit(table);
  return rows.length ? [{ type: "prose", text: rows.join("\n") }] : [];
}

/** An admonition's title leads its first paragraph: "Charge first: Plug the robot in…". */
function admonition(aside: El): Block[] {
  const titleEl = find(aside, (e) => hasClass(e, "admonition-title"));
  const title = titleEl ? tidy(inlineText(titleEl.children)) : "";
  const content = find(aside, (e) => hasClass(e, "admonition-content"));
  const inner: Block[] = [];
  walk(content ? content.children : aside.children.filter((c) => c !== titleEl), inner);
  const first = inner.findIndex((b) => b.type === "prose");
  if (title && first >= 0) {
    const b = inner[first] as { type: "prose"; text: string };
    inner[first] = { type: "prose", text: `${title}: ${b.text}` };
  } else if (title) inner.unshift({ type: "prose", text: `${title}:` });
  return inner;
}

/** Blocks as Markdown: prose as written, code as a fenced block with its language. */
export function blocksToMarkdown(blocks: Block[]): string {
  return blocks.map((b) => (b.type === "prose" ? b.text : fenced(b))).join("\n");
}

/** A fenced code block, its fence longer than any run of backticks inside. */
export function fenced(b: Extract<Block, { type: "code" }>): string {
  const fence = "`".repeat(Math.max(3, ...(b.code.match(/`+/g) ?? []).map((t) => t.length + 1)));
  return `${fence}${b.language}\n${b.code}\n${fence}`;
}

/** Blocks as plain text, for word search: code spans unmarked, code as its lines. */
export function blocksToPlainText(blocks: Block[]): string {
  return blocks.map((b) => (b.type === "prose" ? b.text.replace(/(`+) ?([^`]*?) ?\1/g, "$2") : b.code)).join("\n");
}

export interface HtmlSection {
  /** The id of the h2/h3 that opens the section; null for the text before the first one. */
  id: string | null;
  title: string | null;
  blocks: Block[];
}

/**
 * A chapter cut at its top-level h2/h3 headings with ids. A heading inside an admonition, a
 * table, tabs or details is no cut: those are read whole, in the section they stand in.
 */
export function htmlSections(html: string): HtmlSection[] {
  const sections: { id: string | null; title: string | null; nodes: Node[] }[] = [{ id: null, title: null, nodes: [] }];
  for (const c of parse(html).children) {
    if (typeof c !== "string" && /^h[23]$/.test(c.tag) && attr(c, "id")) {
      sections.push({ id: attr(c, "id")!, title: tidy(blocksToPlainText([{ type: "prose", text: inlineText(c.children) }])), nodes: [] });
    } else if (typeof c !== "string" && c.tag === "h1") {
      continue; // the chapter's title, already its passage's chapterTitle
    } else sections[sections.length - 1]!.nodes.push(c);
  }
  return sections.map((s) => {
    const blocks: Block[] = [];
    walk(s.nodes, blocks);
    return { id: s.id, title: s.title, blocks };
  });
}

/**
 * The first blocks of a section as Markdown, within `maxChars`, never cut inside a block: a code
 * fence, table or admonition is whole or left out (a cut fence would swallow the prompt after it).
 * Only a first block longer than the whole budget is cut, code at a line, its fence closed.
 */
export function markdownWithin(blocks: Block[], maxChars: number): string {
  const out: string[] = [];
  let used = 0;
  for (const b of blocks) {
    const md = b.type === "prose" ? b.text : fenced(b);
    if (used + md.length + 1 > maxChars) {
      if (out.length === 0) out.push(b.type === "prose" ? md.slice(0, maxChars) : fenced({ ...b, code: linesWithin(b.code, maxChars - b.language.length - 8) }));
      break;
    }
    out.push(md);
    used += md.length + 1;
  }
  return out.join("\n");
}

/** The whole lines of `code` that fit in `room` characters. */
function linesWithin(code: string, room: number): string {
  const head = code.slice(0, room + 1);
  return head.length <= room ? head : head.slice(0, Math.max(0, head.lastIndexOf("\n")));
}
