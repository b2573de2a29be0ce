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

export function sanitizeChapterHtml(html: string, links: LinkRewriter, headingIds: ReadonlySet<string>): string {
  const keepHeadingId: sanitizeHtml.Transformer = (tagName, attribs) => ({
    tagName,
    // Only ids we generated: an author's `<h2 id="root">` must not clobber the app's DOM.
    attribs: attribs.id && headingIds.has(attribs.id) ? { id: attribs.id } : ({} as sanitizeHtml.Attributes),
  });

  return sanitizeHtml(html, {
    allowedTags: [
      ...HEADINGS,
      "p", "a", "img", "code", "pre", "blockquote", "hr", "br",
      "ul", "ol", "li", "input",
      "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
      "em", "strong", "del", "s", "sup", "sub", "kbd",
    ],
    allowedAttributes: {
      ...Object.fromEntries(HEADINGS.map((h) => [h, ["id"]])),
      a: ["href", "title", "rel", "target"],
      img: ["src", "alt", "title", "width", "height", "loading"],
      ol: ["start"],
      th: [ALIGN],
      td: [ALIGN],
      input: ["type", "checked", "disabled"],
    },
    allowedClasses: { code: ["language-*"], pre: ["language-*"] },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: {},
    allowedSchemesAppliedToAttributes: ["href", "src"],
    allowProtocolRelative: false,
    disallowedTagsMode: "discard",
    transformTags: {
      ...Object.fromEntries(HEADINGS.map((h) => [h, keepHeadingId])),
      // The page's one h1 is the chapter title; an author's raw <h1> reads as a section.
      h1: (_tagName, attribs) => keepHeadingId("h2", attribs),
      a(tagName, attribs) {
        const out: Record<string, string> = {};
        if (attribs.title) out.title = attribs.title;
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
    },
    // Any other <input> has no business in a chapter.
    exclusiveFilter: (frame) => frame.tag === "input" && frame.attribs.type !== "checkbox",
  });
}
