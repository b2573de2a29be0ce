import type { LinkRewriter } from "../sanitize.ts";
import { sanitizeChapterHtml } from "../sanitize.ts";
import type { AdmonitionType } from "./directives.ts";
import type { RenderedSource } from "./types.ts";

/**
 * Markup of our own, put in after sanitising: the admonition icons (inline SVG, hidden from
 * screen readers) and formulas typeset by KaTeX. The sanitiser lets no `<svg>` and no inline
 * `style` through from a page, and must not: these are not the page's, they are made here.
 * The page holds a placeholder the sanitiser keeps (`<span data-icon="tip">`,
 * `<span data-math="3">TeX</span>`); an author who writes one gets our icon or formula, nothing else.
 */
const svg = (body: string) =>
  `<svg class="admonition-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;

export const ICONS: Record<AdmonitionType, string> = {
  note: svg('<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13.5 6.5l4 4"/>'),
  tip: svg('<path d="M9 18h6M10 21h4"/><path d="M12 3a6 6 0 0 0-3.6 10.8c.7.5 1.1 1.3 1.1 2.2h5c0-.9.4-1.7 1.1-2.2A6 6 0 0 0 12 3z"/>'),
  info: svg('<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.01"/>'),
  warning: svg('<path d="M12 3.5l9 16.5H3z"/><path d="M12 10v4.5M12 17.5v.01"/>'),
  danger: svg('<path d="M8.3 3h7.4L21 8.3v7.4L15.7 21H8.3L3 15.7V8.3z"/><path d="M12 7.5v5.5M12 16.5v.01"/>'),
  caution: svg('<circle cx="12" cy="12" r="9"/><path d="M12 7v6M12 16.5v.01"/>'),
};

/** The sanitised page with its icons and formulas in place. */
export function fillTrusted(html: string, math: readonly string[]): string {
  return html
    .replace(/<span data-icon="(note|tip|info|warning|danger|caution)"><\/span>/g, (_m, type: AdmonitionType) => ICONS[type])
    .replace(/<span data-math="(\d+)">[^<]*<\/span>/g, (m, n: string) => math[Number(n)] ?? m);
}

/**
 * The page as the reader gets it: sanitised, links rewritten, icons and formulas in. The second
 * half of rendering, run on every start (links depend on the other pages); light on purpose: a
 * warm start loads no parser and no highlighter.
 */
export function finishChapter(rendered: RenderedSource, links: LinkRewriter): string {
  const ids = new Set([...rendered.headings.map((h) => h.id), ...rendered.anchors]);
  return fillTrusted(sanitizeChapterHtml(rendered.html, links, ids), rendered.math);
}
