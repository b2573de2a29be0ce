/**
 * The book's contents as its sidebar lays them out: docs, categories (with an optional page of
 * their own: a doc or a generated index) and external links. Items name docs by id here; book.ts
 * turns them into chapter slugs and labels for the API (src/shared/api/book.ts).
 */
export type CategoryLink =
  | { type: "doc"; id: string }
  | { type: "generated-index"; slug: string; title: string | undefined; description: string | undefined };

export type SidebarItem =
  | { type: "doc"; id: string; label: string | undefined; /** `ref` items are listed but are not part of the reading order. */ ref: boolean }
  | { type: "link"; href: string; label: string }
  | { type: "category"; label: string; collapsed: boolean; collapsible: boolean; link: CategoryLink | null; items: SidebarItem[] };

/** Every item, depth first, in sidebar order. */
export function* walkItems(items: readonly SidebarItem[]): Generator<SidebarItem> {
  for (const item of items) {
    yield item;
    if (item.type === "category") yield* walkItems(item.items);
  }
}
