import { api } from "../api/client.ts";
import type { Bookmark, ReadingProgress, SearchResults } from "../../shared/api/place.ts";

/** The reader's place (issue 14, item 8) in the shapes the server declares (src/shared/api/place.ts). */
export type { Bookmark, ReadingProgress, SearchResult, SearchResults } from "../../shared/api/place.ts";

export const searchBook = (q: string, signal?: AbortSignal) => api<SearchResults>("/book/search", { query: { q }, signal, reauth: false });

export const fetchProgress = (signal?: AbortSignal) => api<{ progress: ReadingProgress[] }>("/me/progress", { signal, reauth: false });

/** A slug's `/` travels as %2F, as for the chapter route. */
export const saveProgress = (slug: string, body: { anchor: string | null; fraction: number; completed: boolean }) =>
  api<ReadingProgress>(`/me/progress/${encodeURIComponent(slug)}`, { method: "PUT", body, reauth: false });

/**
 * The last report as the reader leaves the page: `keepalive` lets it outlive the page
 * (fetch's keepalive, which sendBeacon cannot do for a PUT with JSON).
 */
export function saveProgressOnLeave(slug: string, body: { anchor: string | null; fraction: number; completed: boolean }): void {
  void fetch(`/api/v1/me/progress/${encodeURIComponent(slug)}`, {
    method: "PUT",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
    keepalive: true,
  }).catch(() => {});
}

export const fetchBookmarks = (signal?: AbortSignal) => api<{ bookmarks: Bookmark[] }>("/me/bookmarks", { signal, reauth: false });

export const addBookmark = (body: { chapterSlug: string; anchor: string | null; note?: string | null }) => api<Bookmark>("/me/bookmarks", { method: "POST", body });

export const updateBookmark = (id: string, note: string | null) => api<Bookmark>(`/me/bookmarks/${encodeURIComponent(id)}`, { method: "PATCH", body: { note } });

export const deleteBookmark = (id: string) => api<null>(`/me/bookmarks/${encodeURIComponent(id)}`, { method: "DELETE" });
