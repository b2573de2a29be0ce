import type { Element, ElementContent, Properties, Root, RootContent, Text } from "hast";
import { toString } from "hast-util-to-string";
import type { MdxJsxAttribute, MdxJsxExpressionAttribute, MdxJsxFlowElementHast, MdxJsxTextElementHast } from "mdast-util-mdx-jsx";
import type { VFile } from "vfile";
import { admonitionType, type AdmonitionType } from "./directives.ts";
import { NOT_STATIC, programExpression, staticText, staticValue, type StaticScope, type StaticValue } from "./static-value.ts";
import type { RenderData } from "./types.ts";

/**
 * An MDX page's JSX and expressions, turned into HTML without running any of it (issue 14):
 *
 * - HTML written as JSX (`<div className="x">`, `<a name="top">`, `<details>`) stays HTML, with
 *   its attributes as far as they are plain values; the sanitiser decides what is kept.
 * - The theme's components become HTML the reader can use without JavaScript: `Tabs`/`TabItem`
 *   (every panel under its label, with data attributes the web app turns into tabs),
 *   `Admonition`, `Details`, `CodeBlock`, `TOCInline`, `DocCardList`, `Mermaid`.
 * - Any other component (`BrowserOnly`, the site's own `BudgetCalculator`) becomes a note that
 *   names it and points to the page on the book's own site; its code is never printed. The names
 *   and counts go into the book's one startup warning.
 * - `import`/`export` are dropped; an `{expression}` shows only when it is a plain string or number.
 */
type Jsx = MdxJsxFlowElementHast | MdxJsxTextElementHast;
type Attr = MdxJsxAttribute | MdxJsxExpressionAttribute;
type Node = Root | RootContent | ElementContent;

/** The MDX nodes remark-rehype passes through for this step to turn into HTML. */
export const MDX_NODE_TYPES = ["mdxjsEsm", "mdxFlowExpression", "mdxTextExpression", "mdxJsxFlowElement", "mdxJsxTextElement"];

const h = (tagName: string, properties: Properties, children: ElementContent[] = []): Element => ({ type: "element", tagName, properties, children });
const text = (value: string): Text => ({ type: "text", value });

/** Components a Docusaurus theme gives every page, rendered here. */
const THEME = new Set(["Tabs", "TabItem", "Admonition", "Details", "CodeBlock", "TOCInline", "DocCardList", "Mermaid", "Head", "head"]);
/** JSX attribute names that differ from HTML's. */
const ATTR_NAMES: Record<string, string> = { className: "class", htmlFor: "for" };

interface Context {
  scope: StaticScope;
  data: RenderData;
}

function attrValue(attr: MdxJsxAttribute, ctx: Context): StaticValue | typeof NOT_STATIC {
  if (attr.value === null || attr.value === undefined) return true;
  if (typeof attr.value === "string") return attr.value;
  return staticValue(programExpression(attr.value.data?.estree ?? undefined), ctx.scope);
}

function props(node: Jsx, ctx: Context): Map<string, StaticValue> {
  const out = new Map<string, StaticValue>();
  for (const a of node.attributes as Attr[]) {
    if (a.type !== "mdxJsxAttribute") continue;
    const v = attrValue(a, ctx);
    if (v !== NOT_STATIC) out.set(a.name, v);
  }
  return out;
}

const str = (v: StaticValue | undefined) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
const isHtmlName = (name: string) => /^[a-z][a-z0-9-]*$/.test(name);

/** `<div className="x" id="a">` as an HTML element: plain-valued attributes only, `style` never. */
function htmlElement(node: Jsx, ctx: Context): Element {
  const properties: Properties = {};
  for (const a of node.attributes as Attr[]) {
    if (a.type !== "mdxJsxAttribute" || a.name === "style" || /^on/i.test(a.name)) continue;
    const v = attrValue(a, ctx);
    const name = ATTR_NAMES[a.name] ?? a.name;
    if (v === true) properties[name] = true;
    else {
      const t = staticText(v);
      if (t !== undefined) properties[name] = t;
    }
  }
  return h(node.name!, properties, convertAll(node.children as ElementContent[], ctx));
}

/** The element's children, with whitespace-only text left out (for components that take items). */
const items = (node: Jsx) => (node.children as ElementContent[]).filter((c) => !(c.type === "text" && !c.value.trim()));

function tabs(node: Jsx, ctx: Context): Element {
  const p = props(node, ctx);
  const labels = new Map<string, string>();
  const values = p.get("values");
  if (Array.isArray(values)) {
    for (const v of values) {
      if (v && typeof v === "object" && !Array.isArray(v) && !("file" in v)) {
        const value = str(v.value);
        if (value !== undefined) labels.set(value, str(v.label) ?? value);
      }
    }
  }
  const defaultValue = str(p.get("defaultValue"));
  const panels: ElementContent[] = [];
  for (const child of items(node)) {
    const item = child as unknown as Jsx;
    if (((child.type as string) !== "mdxJsxFlowElement" && (child.type as string) !== "mdxJsxTextElement") || item.name !== "TabItem") {
      panels.push(...convert(child, ctx));
      continue;
    }
    const ip = props(item, ctx);
    const value = str(ip.get("value")) ?? `tab-${panels.length + 1}`;
    const label = str(ip.get("label")) ?? labels.get(value) ?? value;
    const isDefault = ip.get("default") === true || defaultValue === value;
    const properties: Properties = { className: ["tab-panel"], dataTabValue: value, dataTabLabel: label };
    if (isDefault) properties.dataTabDefault = "";
    // The label is a heading until the web app makes the tabs (headings.ts sets its level).
    panels.push(h("div", properties, [h("p", { dataTabHeading: "" }, [text(label)]), ...convertAll(item.children as ElementContent[], ctx)]));
  }
  const properties: Properties = { className: ["tabs"], dataTabs: "" };
  const groupId = str(p.get("groupId"));
  if (groupId) properties.dataGroupId = groupId;
  return h("div", properties, panels);
}

/** An admonition's box: `aside[data-admonition]` with a title paragraph; icon and role are added in finishAdmonitions. */
function admonitionElement(type: AdmonitionType, title: ElementContent[] | undefined, children: ElementContent[]): Element {
  return h("aside", { dataAdmonition: type }, [...(title ? [h("p", { dataAdmonitionTitle: "" }, title)] : []), ...children]);
}

/** `<CodeBlock language="py" title="a.py" showLineNumbers>{`code`}</CodeBlock>` → a fenced block, as code.ts reads it. */
function codeBlock(node: Jsx, ctx: Context): Element {
  const p = props(node, ctx);
  let code = "";
  for (const child of node.children as Node[]) {
    if (child.type === "mdxFlowExpression" || child.type === "mdxTextExpression") {
      const v = staticValue(programExpression(child.data?.estree ?? undefined), ctx.scope);
      if (typeof v === "string") code += v;
    } else code += toString(child as ElementContent);
  }
  const meta = [str(p.get("metastring")), str(p.get("title")) !== undefined ? `title=${JSON.stringify(str(p.get("title")))}` : undefined, p.get("showLineNumbers") === true ? "showLineNumbers" : undefined]
    .filter(Boolean)
    .join(" ");
  const lang = str(p.get("language")) ?? /language-(\S+)/.exec(str(p.get("className")) ?? "")?.[1];
  const codeEl = h("code", lang ? { className: [`language-${lang}`] } : {}, [text(code.replace(/^\n/, "").replace(/\n$/, ""))]);
  codeEl.data = { meta } as Element["data"];
  return h("pre", {}, [codeEl]);
}

/** `<summary>` on its own line is read as a paragraph around it: the summary comes out of it. */
function liftSummary(children: ElementContent[]): ElementContent[] {
  return children.map((c) => {
    if (c.type !== "element" || c.tagName !== "p") return c;
    const inner = c.children.filter((x) => !(x.type === "text" && !x.value.trim()));
    return inner.length === 1 && inner[0]!.type === "element" && inner[0]!.tagName === "summary" ? inner[0]! : c;
  });
}

function details(node: Jsx, ctx: Context): Element {
  const p = props(node, ctx);
  const children = liftSummary(convertAll(node.children as ElementContent[], ctx));
  const hasSummary = children.some((c) => c.type === "element" && c.tagName === "summary");
  const summary = str(p.get("summary"));
  const properties: Properties = p.get("open") === true ? { open: true } : {};
  return h("details", properties, hasSummary ? children : [h("summary", {}, [text(summary ?? "Details")]), ...children]);
}

/** The note in place of a component this reader cannot show. */
function componentNote(name: string, inline: boolean, children: ElementContent[], ctx: Context): ElementContent[] {
  ctx.data.components.set(name, (ctx.data.components.get(name) ?? 0) + 1);
  // Inline, a component's own words stay in the sentence (`<Highlight>green</Highlight>`).
  if (inline && children.length) return [h("span", { dataComponent: name }, children)];
  if (inline) {
    const site = ctx.data.siteUrl ? h("a", { href: ctx.data.siteUrl }, [text("the book's site")]) : text("the book's own site");
    return [h("span", { className: ["component-note"], dataComponent: name, role: "note" }, [text("("), h("code", {}, [text(name)]), text(" is shown only on "), site, text(")")])];
  }
  const note = noteElement([name], ctx);
  const content = children.filter((c) => !(c.type === "text" && !c.value.trim()));
  return content.length ? [note, h("div", { dataComponent: name }, content)] : [note];
}

/** One note for one or more components side by side (`<LikeButton /> <ShareButton />`). */
function noteElement(names: string[], ctx: Context): Element {
  const where = ctx.data.siteUrl
    ? [text(" "), h("a", { href: ctx.data.siteUrl }, [text("Open this page on the book's site")]), text(" to use it.")]
    : [text(" It works only on the book's own site.")];
  const what = names.length > 1 ? "interactive parts" : names[0] === "BrowserOnly" ? "a part that runs in the browser" : "an interactive part";
  const codes = names.flatMap((n, i) => [...(i > 0 ? [text(", ")] : []), h("code", {}, [text(n)])]);
  return h("div", { className: ["component-note"], dataComponent: names.join(" "), role: "note" }, [
    h("p", {}, [text(`Here the book shows ${what} (`), ...codes, text(`) that this reader cannot show.`), ...where]),
  ]);
}

const isNote = (c: ElementContent | undefined): c is Element => c?.type === "element" && c.tagName === "div" && Array.isArray(c.properties.className) && c.properties.className.includes("component-note");

/** Notes next to each other (only white space between) become one. */
function mergeNotes(children: ElementContent[], ctx: Context): ElementContent[] {
  const out: ElementContent[] = [];
  for (const c of children) {
    if (isNote(c)) {
      let j = out.length - 1;
      while (j >= 0 && out[j]!.type === "text" && !(out[j] as Text).value.trim()) j--;
      const prev = out[j];
      if (isNote(prev)) {
        const names = [...String(prev.properties.dataComponent).split(" "), ...String(c.properties.dataComponent).split(" ")];
        out.splice(j, out.length - j, noteElement(names, ctx));
        continue;
      }
    }
    out.push(c);
  }
  return out;
}

function jsx(node: Jsx, ctx: Context): ElementContent[] {
  const name = node.name;
  const inline = node.type === "mdxJsxTextElement";
  if (!name) return convertAll(node.children as ElementContent[], ctx); // a fragment: <>…</>
  if (name === "details") return [details(node, ctx)];
  if (isHtmlName(name) && name !== "head") return [htmlElement(node, ctx)];
  if (!THEME.has(name)) return componentNote(name, inline, convertAll(node.children as ElementContent[], ctx), ctx);
  switch (name) {
    case "Tabs":
      return [tabs(node, ctx)];
    case "TabItem":
      return [h("div", {}, convertAll(node.children as ElementContent[], ctx))];
    case "Admonition": {
      const p = props(node, ctx);
      const type = admonitionType(str(p.get("type")) ?? "note") ?? "note";
      const title = str(p.get("title"));
      return [admonitionElement(type, title ? [text(title)] : undefined, convertAll(node.children as ElementContent[], ctx))];
    }
    case "Details":
      return [details(node, ctx)];
    case "CodeBlock":
      return [codeBlock(node, ctx)];
    case "Mermaid": {
      const value = str(props(node, ctx).get("value"));
      if (!value) return [];
      const code = h("code", { className: ["language-mermaid"] }, [text(value)]);
      return [h("pre", {}, [code])];
    }
    case "TOCInline": {
      const p = props(node, ctx);
      const properties: Properties = { dataTocInline: "" };
      const min = p.get("minHeadingLevel");
      const max = p.get("maxHeadingLevel");
      if (typeof min === "number") properties.dataTocMin = String(min);
      if (typeof max === "number") properties.dataTocMax = String(max);
      return [h("nav", properties)];
    }
    case "DocCardList":
      return [h("div", { dataDocCardList: "" })];
    default: // Head: page metadata, not content
      return [];
  }
}

function convert(node: ElementContent | RootContent, ctx: Context): ElementContent[] {
  switch (node.type as string) {
    case "mdxjsEsm":
      return [];
    case "mdxFlowExpression":
    case "mdxTextExpression": {
      const expr = node as unknown as { data?: { estree?: import("estree").Program | null } };
      const v = staticValue(programExpression(expr.data?.estree ?? undefined), ctx.scope);
      return typeof v === "string" || typeof v === "number" ? [text(String(v))] : [];
    }
    case "mdxJsxFlowElement":
    case "mdxJsxTextElement":
      return jsx(node as unknown as Jsx, ctx);
    case "element": {
      const el = node as Element;
      el.children = convertAll(el.children, ctx);
      return [el];
    }
    default:
      return [node as ElementContent];
  }
}

function convertAll(children: ElementContent[], ctx: Context): ElementContent[] {
  return mergeNotes(children.flatMap((c) => convert(c, ctx)), ctx);
}

function importsOf(tree: Root): Map<string, string> {
  const imports = new Map<string, string>();
  for (const node of tree.children) {
    if ((node.type as string) !== "mdxjsEsm") continue;
    const program = (node as unknown as { data?: { estree?: import("estree").Program } }).data?.estree;
    for (const stmt of program?.body ?? []) {
      if (stmt.type !== "ImportDeclaration" || typeof stmt.source.value !== "string") continue;
      for (const s of stmt.specifiers) imports.set(s.local.name, stmt.source.value);
    }
  }
  return imports;
}

/** The rehype step: every MDX node of the page replaced by HTML (or nothing). */
export function rehypeMdxComponents() {
  return (tree: Root, file: VFile) => {
    const data = file.data.book as RenderData;
    // Only imports of files (`import img from './a.png'`) give values; components are known by name.
    const imports = new Map([...importsOf(tree)].filter(([, source]) => /\.[a-z0-9]+$/i.test(source) && !/\.(jsx?|tsx?|mdx?)$/i.test(source)));
    const ctx: Context = { scope: { imports }, data };
    tree.children = mergeNotes(tree.children.flatMap((c) => convert(c, ctx as Context)) as ElementContent[], ctx) as RootContent[];
  };
}

export const ADMONITION_TITLES: Record<AdmonitionType, string> = { note: "Note", tip: "Tip", info: "Info", warning: "Warning", danger: "Danger", caution: "Caution" };

/**
 * Every `aside[data-admonition]` made a note: role, class, an icon and a visible title (the type's
 * name unless the author gave one; a custom title is preceded by the type for screen readers, so
 * "Danger" is never conveyed by colour and icon alone, WCAG 1.4.1).
 */
export function finishAdmonition(aside: Element): void {
  const type = String(aside.properties.dataAdmonition) as AdmonitionType;
  const first = aside.children.find((c) => !(c.type === "text" && !c.value.trim()));
  const given = first?.type === "element" && first.properties.dataAdmonitionTitle !== undefined ? first : undefined;
  const content = aside.children.filter((c) => c !== given);
  const label = ADMONITION_TITLES[type];
  const custom = given && toString(given).trim().toLowerCase() !== label.toLowerCase();
  const title = h("p", { className: ["admonition-title"] }, [
    h("span", { dataIcon: type }),
    ...(custom ? [h("span", { className: ["visually-hidden"] }, [text(`${label}: `)])] : []),
    ...(given ? given.children : [text(label)]),
  ]);
  aside.properties = { className: ["admonition", `admonition-${type}`], dataAdmonition: type, role: "note" };
  aside.children = [title, h("div", { className: ["admonition-content"] }, content)];
}
