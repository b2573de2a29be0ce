import { api } from "../api/client.ts";

/** Shapes of GET /api/v1/book and GET /api/v1/book/chapters/:slug. */
export interface ChapterSummary {
  slug: string;
  title: string;
  order: number;
  description: string | null;
}

export interface Book {
  title: string;
  description: string | null;
  chapters: ChapterSummary[];
}

export interface Heading {
  id: string;
  text: string;
  depth: number;
}

export interface ChapterLink {
  slug: string;
  title: string;
}

export interface Chapter {
  slug: string;
  title: string;
  description: string | null;
  /** Sanitised by the server (src/server/book/sanitize.ts); the only HTML we ever inject. */
  html: string;
  headings: Heading[];
  prev: ChapterLink | null;
  next: ChapterLink | null;
}

export const fetchBook = (signal?: AbortSignal) => api<Book>("/book", { signal, reauth: false });

const chapters = new Map<string, Chapter>();

/** Chapters are cached for the page's life: going back and forth is instant. */
export async function fetchChapter(slug: string, signal?: AbortSignal): Promise<Chapter> {
  const hit = chapters.get(slug);
  if (hit) return hit;
  const chapter = await api<Chapter>(`/book/chapters/${encodeURIComponent(slug)}`, { signal, reauth: false });
  chapters.set(slug, chapter);
  return chapter;
}

export const cachedChapter = (slug: string) => chapters.get(slug) ?? null;
