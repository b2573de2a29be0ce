import { api } from "../api/client.ts";
import type { Book, Chapter } from "../../shared/api/book.ts";

/** GET /api/v1/book and GET /api/v1/book/chapters/:slug, in the shapes the server declares (src/shared/api/book.ts). */
export type { Book, Chapter, ContentsItem } from "../../shared/api/book.ts";

export const fetchBook = (signal?: AbortSignal) => api<Book>("/book", { signal, reauth: false });

const chapters = new Map<string, Chapter>();

/** Chapters are cached for the page's life: going back and forth is instant. */
export async function fetchChapter(slug: string, signal?: AbortSignal): Promise<Chapter> {
  const hit = chapters.get(slug);
  if (hit) return hit;
  // A slug's `/` travels as %2F: the route takes the slug as one path parameter.
  const chapter = await api<Chapter>(`/book/chapters/${encodeURIComponent(slug)}`, { signal, reauth: false });
  chapters.set(slug, chapter);
  return chapter;
}

export const cachedChapter = (slug: string) => chapters.get(slug) ?? null;
