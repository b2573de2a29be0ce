import type { ContentsItem } from "../../shared/api/book.ts";
import { chapterPath } from "../../shared/api/book.ts";
import type { Chapter } from "./book.ts";

/**
 * The page of a category whose link is `{ type: 'generated-index' }`: a list of its items, each
 * with its description when it has one, as Docusaurus's generated index shows them as cards.
 * Built from escaped text only; no author HTML goes into it.
 */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function generatedIndexHtml(items: ContentsItem[], bySlug: ReadonlyMap<string, Chapter>): string {
  const entries = items.map((item) => {
    if (item.type === "link") {
      return `<li><a href="${escape(item.href)}" rel="noopener noreferrer" target="_blank">${escape(item.label)}</a></li>`;
    }
    const slug = item.type === "doc" ? item.slug : item.link?.slug;
    const label = escape(item.label);
    const title = slug ? `<a href="${escape(chapterPath(slug))}">${label}</a>` : label;
    const description = slug ? bySlug.get(slug)?.description : null;
    const count = item.type === "category" ? ` <span>(${item.items.length} ${item.items.length === 1 ? "item" : "items"})</span>` : "";
    return `<li><p><strong>${title}</strong>${count}</p>${description ? `<p>${escape(description)}</p>` : ""}</li>`;
  });
  return entries.length ? `<ul class="category-index">\n${entries.join("\n")}\n</ul>\n` : "";
}
