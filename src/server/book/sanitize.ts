import sanitizeHtml from "sanitize-html";

/**
 * The allow-list every chapter's HTML goes through, Markdown output and raw HTML alike
 * (OWASP XSS Prevention, rule 6; ASVS 1.3.1). Anything not listed is dropped: scripts with their
 * content, iframes, forms, `style`, `on*` handlers, and URLs other than http(s)/mailto/relative.
 * Links and images are rewritten here too, so raw `<a>`/`<img>` in a chapter get the same treatment
 * as Markdown ones.
 */
export interface LinkRewriter {
  /** A link target as the site should use it; `external` links open in a new tab. */
  href(raw: string): { href: string | undefined; external: boolean };
  /** An image source as the site should use it (`/book-assets/...` for the book's own files). */
  src(raw: string): string | undefined;
}

const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"] as const;
const ALIGN = { name: "align", multiple: false, values: ["left", "right", "center"] };
const DIMENSION = /^\d{1,5}%?$/;
const ICONS = new Set(["note", "tip", "info", "warning", "danger", "caution"]);

/**
 * Prism's token classes the stylesheet colours (src/web/styles.css); others are dropped with no
 * loss. Classes are listed, never open: a page must not borrow the app's own (`button`, `notice`).
 */
export const TOKEN_CLASSES = [
  "token", "comment", "prolog", "doctype", "cdata", "punctuation", "namespace", "property", "tag", "boolean", "number",
  "constant", "symbol", "deleted", "selector", "attr-name", "string", "char", "builtin", "inserted", "operator", "entity",
  "url", "variable", "atrule", "attr-value", "function", "function-name", "class-name", "keyword", "regex", "important",
  "bold", "italic", "decorator", "annotation", "parameter", "title", "template-string", "interpolation", "key", "macro",
];

/** The structure the renderer makes (render/): admonitions, tabs, code blocks, diagrams, notes. */
const RENDERED_CLASSES: Record<string, string[]> = {
  aside: ["admonition", "admonition-*"],
  div: ["admonition-content", "tabs", "tab-panel", "code-block", "mermaid-diagram", "component-note", "math-display"],
  figure: ["code-block"],
  figcaption: ["code-title"],
  p: ["admonition-title"],
  span: ["code-line", "highlighted", "visually-hidden", "component-note", ...TOKEN_CLASSES],
  pre: ["language-*", "mermaid-source"],
  code: ["language-*"],
  nav: ["toc-inline"],
  li: ["toc-depth-*"],
  ...Object.fromEntries(HEADINGS.map((h) => [h, ["tab-label"]])),
};

/**
 * `ids`: the ids the renderer gave (headings) or kept (an author's `<a name>`/`id` anchors). Any
 * other id is dropped: an author's `<h2 id="root">` must not clobber the app's DOM.
 */
export function sanitizeChapterHtml(html: string, links: LinkRewriter, ids: ReadonlySet<string>): string {
  return sanitizeHtml(html, {
    allowedTags: [
      ...HEADINGS,
      "p", "a", "img", "code", "pre", "blockquote", "hr", "br",
      "ul", "ol", "li", "input", "dl", "dt", "dd",
      "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
      "em", "strong", "del", "s", "sup", "sub", "kbd", "mark", "ins", "u", "small", "b", "i", "abbr", "cite", "q", "var", "samp",
      "div", "span", "aside", "figure", "figcaption", "details", "summary", "nav",
    ],
    allowedAttributes: {
      "*": ["id"],
      a: ["href", "title", "rel", "target", "name"],
      img: ["src", "alt", "title", "width", "height", "loading"],
      ol: ["start"],
      th: [ALIGN],
      td: [ALIGN],
      input: ["type", "checked", "disabled"],
      details: ["open"],
      abbr: ["title"],
      aside: ["data-admonition", "role"],
      div: ["data-tabs", "data-group-id", "data-tab-value", "data-tab-label", "data-tab-default", "data-code-block", "data-mermaid", "data-component", "data-doc-card-list", "role"],
      figure: ["data-code-block"],
      pre: ["data-language", "data-line-numbers"],
      span: ["role", "data-line", "data-icon", "data-math", "data-component"],
      nav: ["aria-label"],
    },
    allowedClasses: RENDERED_CLASSES,
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ["href", "src"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    transformTags: {
      // The page's one h1 is the chapter title; an author's raw <h1> reads as a section.
      h1: (_tagName, attribs) => ({ tagName: "h2", attribs }),
      a(tagName, attribs) {
        const out: Record<string, string> = {};
        if (attribs.title) out.title = attribs.title;
        if (attribs.id) out.id = attribs.id;
        if (attribs.name && attribs.name === attribs.id) out.name = attribs.name;
        const target = attribs.href ? links.href(attribs.href) : undefined;
        if (target?.href) {
          out.href = target.href;
          if (target.external) Object.assign(out, { rel: "noopener noreferrer", target: "_blank" });
        }
        return { tagName, attribs: out };
      },
      img(tagName, attribs) {
        const out: Record<string, string> = { loading: "lazy" };
        const src = attribs.src ? links.src(attribs.src) : undefined;
        if (src) out.src = src;
        out.alt = attribs.alt ?? "";
        if (attribs.title) out.title = attribs.title;
        for (const k of ["width", "height"] as const) if (attribs[k] && DIMENSION.test(attribs[k])) out[k] = attribs[k];
        return { tagName, attribs: out };
      },
      // GFM task lists: a checkbox the reader sees, never a form control that does anything.
      input(tagName, attribs) {
        if (attribs.type !== "checkbox") return { tagName, attribs: {} };
        return { tagName, attribs: { type: "checkbox", disabled: "", ...("checked" in attribs ? { checked: "" } : {}) } };
      },
      // Runs after the tag's own transform: only the ids the renderer vouched for survive, the
      // one role it gives (note), and icon placeholders that name an icon.
      "*"(tagName, attribs) {
        const out = { ...attribs };
        if (out.id !== undefined && !ids.has(out.id)) {
          delete out.id;
          delete out.name;
        }
        if (out.role !== undefined && out.role !== "note") delete out.role;
        if (out["data-icon"] !== undefined && !ICONS.has(out["data-icon"])) delete out["data-icon"];
        return { tagName, attribs: out };
      },
    },
    // Any other <input> has no business in a chapter.
    exclusiveFilter: (frame) => frame.tag === "input" && frame.attribs.type !== "checkbox",
  });
}
