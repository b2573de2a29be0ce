import { Marked, type Token, type Tokens } from "marked";
import { createSlugger } from "./slug.ts";
import { sanitizeChapterHtml, type LinkRewriter } from "./sanitize.ts";

/** Markdown → safe HTML for one chapter: GFM, heading ids, links and images made to work on the site. */
export interface Heading {
  id: string;
  text: string;
  depth: number;
}

export interface RenderedChapter {
  html: string;
  headings: Heading[];
  /**
   * The page's own `# heading`, taken out of the HTML (the reader's page shows the one h1): as in
   * Docusaurus, the first heading of the page if it is an h1 and comes before any `---` rule,
   * even after raw HTML such as a `<div>` or other text.
   */
  contentTitle: string | undefined;
}

const ENTITY: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== "#") return ENTITY[e.toLowerCase()] ?? m;
    const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** The words of inline tokens, without markup: `Hello *World*` → `Hello World`. */
export function plainText(tokens: Token[] | undefined): string {
  let out = "";
  for (const t of tokens ?? []) {
    if (t.type === "html") continue;
    if ("tokens" in t && Array.isArray(t.tokens) && t.tokens.length) out += plainText(t.tokens);
    else if (t.type === "codespan") out += (t as Tokens.Codespan).text;
    else if ("text" in t && typeof t.text === "string") out += decodeEntities(t.text);
  }
  return out.replace(/\s+/g, " ");
}

export function renderChapter(markdown: string, links: LinkRewriter): RenderedChapter {
  const headings: Heading[] = [];
  const slug = createSlugger();
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      heading({ tokens, depth: written }) {
        // The page has one h1, its title: any other `# heading` becomes an h2 (raw <h1> too, in sanitize.ts).
        const depth = Math.max(written, 2);
        const text = plainText(tokens).trim();
        const id = slug(text);
        headings.push({ id, text, depth });
        return `<h${depth} id="${id}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });

  const tokens = marked.lexer(markdown);
  let contentTitle: string | undefined;
  const first = tokens.findIndex((t) => t.type === "heading" || t.type === "hr");
  const lead = tokens[first];
  if (lead?.type === "heading" && (lead as Tokens.Heading).depth === 1) {
    contentTitle = plainText((lead as Tokens.Heading).tokens).trim() || undefined;
    tokens.splice(first, 1);
  }
  const html = marked.parser(tokens);
  return { html: sanitizeChapterHtml(html, links, new Set(headings.map((h) => h.id))), headings, contentTitle };
}
