import type { Element, ElementContent, Root, RootContent, Text } from "hast";
import { toString } from "hast-util-to-string";
import { RESERVED_IDS, createSlugger } from "../slug.ts";
import { finishAdmonition } from "./components.ts";
import type { Heading, RenderedSource } from "./types.ts";

/**
 * The page's outline, in one walk in document order:
 *
 * - the page's own title (Docusaurus's rule: the first Markdown heading, if it is an h1 and comes
 *   before any `---` rule) is taken out: the reader's page shows it as its one h1;
 * - every other Markdown heading is an h2 at least, with an id: `## Setup {#custom-id}` as
 *   written, else github-slugger's (what Docusaurus and GitHub make, so `page.md#some-heading`
 *   links work); a heading written as HTML or JSX keeps no id, and an h1 there is shown as an h2;
 * - a tab's label becomes a heading one level below the section it is in (no id: not in
 *   "On this page"), so without JavaScript every panel reads under its label;
 * - `id`s and `<a name>`s written by the author are anchors too, unless the web app's page uses
 *   the id itself;
 * - admonitions get their icon and title, `<TOCInline />` the list of headings.
 */
export type Outline = Pick<RenderedSource, "headings" | "anchors" | "contentTitle">;

const HEADING = /^h([1-6])$/;
const EXPLICIT_ID = /\s*\{#([^{}]+)\}\s*$/;
const ANCHOR_ID = /^[A-Za-z0-9][\w.:-]{0,99}$/;

const plain = (el: Element) => toString(el).replace(/\s+/g, " ").trim();

/** `## Title {#my-id}`: the id, taken out of the heading's last text. */
function explicitId(el: Element): string | undefined {
  const last = el.children.at(-1);
  if (last?.type !== "text") return undefined;
  const m = EXPLICIT_ID.exec(last.value);
  if (!m) return undefined;
  last.value = last.value.slice(0, m.index);
  if (!last.value) el.children.pop();
  return m[1]!.trim();
}

function children(node: Root | Element): (RootContent | ElementContent)[] {
  return node.children;
}

export function outline(tree: Root): Outline {
  const slug = createSlugger();
  const headings: Heading[] = [];
  const anchors: string[] = [];
  const taken = new Set<string>(RESERVED_IDS);
  let contentTitle: string | undefined;
  let decided = false;
  let lastDepth = 1;
  const tocs: Element[] = [];

  // Author ids first, so headings never take them.
  const authorIds = (node: Root | Element) => {
    for (const c of children(node)) {
      if (c.type !== "element") continue;
      if (!HEADING.test(c.tagName)) {
        const raw = c.properties.id ?? (c.tagName === "a" ? c.properties.name : undefined);
        const id = typeof raw === "string" ? raw : typeof raw === "number" ? String(raw) : undefined;
        delete c.properties.id;
        delete c.properties.name;
        if (id && ANCHOR_ID.test(id) && !taken.has(id)) {
          taken.add(id);
          anchors.push(id);
          slug(id);
          c.properties.id = id;
          if (c.tagName === "a") c.properties.name = id;
        }
      }
      authorIds(c);
    }
  };
  authorIds(tree);

  const walk = (node: Root | Element) => {
    const list = children(node);
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.type !== "element") continue;
      const m = HEADING.exec(c.tagName);
      if (m) {
        const written = Number(m[1]);
        // A heading written as HTML or JSX is shown (an h1 as an h2) but is not part of the outline, as in Docusaurus.
        if (c.properties.dataMd === undefined) {
          c.tagName = `h${Math.max(written, 2)}`;
          delete c.properties.id;
          continue;
        }
        const id = explicitId(c);
        if (!decided) {
          decided = true;
          if (written === 1) {
            contentTitle = plain(c) || undefined;
            list.splice(i--, 1);
            continue;
          }
        }
        const depth = Math.max(written, 2);
        const text = plain(c);
        let finalId = id && !taken.has(id) ? id : slug(text);
        if (id && finalId === id) slug(id);
        taken.add(finalId);
        c.tagName = `h${depth}`;
        c.properties = { id: finalId };
        headings.push({ id: finalId, text, depth });
        lastDepth = depth;
        continue;
      }
      if (c.tagName === "hr") decided = true;
      if (c.tagName === "aside" && c.properties.dataAdmonition !== undefined) finishAdmonition(c);
      if (c.tagName === "p" && c.properties.dataTabHeading !== undefined) {
        c.tagName = `h${Math.min(lastDepth + 1, 6)}`;
        c.properties = { className: ["tab-label"] };
        continue;
      }
      if (c.tagName === "nav" && c.properties.dataTocInline !== undefined) tocs.push(c);
      walk(c);
    }
  };
  walk(tree);

  for (const toc of tocs) fillToc(toc, headings);
  return { headings, anchors, contentTitle };
}

/** `<TOCInline />`: the page's headings between its levels (2 to 3 by default), nested. */
function fillToc(nav: Element, headings: Heading[]): void {
  const min = Number(nav.properties.dataTocMin ?? 2);
  const max = Number(nav.properties.dataTocMax ?? 3);
  const shown = headings.filter((x) => x.depth >= min && x.depth <= max);
  const text = (value: string): Text => ({ type: "text", value });
  const li = (x: Heading): Element => ({ type: "element", tagName: "li", properties: { className: [`toc-depth-${x.depth}`] }, children: [{ type: "element", tagName: "a", properties: { href: `#${x.id}` }, children: [text(x.text)] }] });
  nav.properties = { className: ["toc-inline"], ariaLabel: "In this chapter" };
  nav.children = shown.length ? [{ type: "element", tagName: "ul", properties: {}, children: shown.map(li) }] : [];
}
