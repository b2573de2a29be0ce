import type { ContentsItem } from "./book-api.ts";

/** Helpers over the book's contents tree (GET /api/v1/book `contents`). */

export type Category = Extract<ContentsItem, { type: "category" }>;

/** A category's key for remembering its state: its labels from the top, `"Field work/Tools"`. */
export const categoryKey = (path: readonly string[]) => path.join("/");

/** The keys of the categories that hold the page `slug` (as an item or as their own page), outermost first. */
export function ancestorsOf(items: readonly ContentsItem[], slug: string, path: string[] = []): string[] | null {
  for (const item of items) {
    if (item.type !== "category") continue;
    const here = [...path, item.label];
    if (item.link?.slug === slug) return [categoryKey(here)];
    const inner = ancestorsOf(item.items, slug, here);
    if (inner) return [categoryKey(here), ...inner];
    if (item.items.some((i) => i.type === "doc" && i.slug === slug)) return [categoryKey(here)];
  }
  return null;
}

/** Whether the contents are a plain list of chapters (a folder of Markdown): then they are numbered. */
export const isFlat = (items: readonly ContentsItem[]) => items.every((i) => i.type === "doc");

const STORAGE_KEY = "aibook.toc.categories";

/** Categories the reader opened or closed, remembered in this browser. */
export function readCategoryState(): Record<string, boolean> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, boolean>) : {};
  } catch {
    return {};
  }
}

export function writeCategoryState(state: Record<string, boolean>): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
  } catch {
    /* private mode or full: the state lasts for this page only */
  }
}
