import { createContext, use, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { useAuth } from "../auth/AuthProvider.tsx";
import { ensureCaller } from "../chat/guest.ts";
import { addBookmark, deleteBookmark, fetchBookmarks, fetchProgress, saveProgress, updateBookmark, type Bookmark, type ReadingProgress } from "./place-api.ts";

/**
 * The reader's place: progress per chapter and bookmarks, kept on the server for accounts and
 * guests alike (docs/decisions/007-anonymous-readers.md). As with the chat, the first thing worth
 * keeping (a bookmark, or real reading) makes a visitor a guest; signing in later moves it all.
 */
interface PlaceValue {
  progress: ReadonlyMap<string, ReadingProgress>;
  /** The chapter read last, for "Continue reading". */
  latest: ReadingProgress | null;
  bookmarks: readonly Bookmark[] | null;
  bookmarksError: unknown;
  reloadBookmarks(): void;
  report(slug: string, p: { anchor: string | null; fraction: number; completed: boolean }): Promise<void>;
  bookmark(slug: string, anchor: string | null, note: string | null): Promise<Bookmark>;
  editNote(id: string, note: string | null): Promise<void>;
  remove(id: string): Promise<void>;
}

const PlaceContext = createContext<PlaceValue | null>(null);

export function PlaceProvider({ children }: { children: ReactNode }) {
  const { state } = useAuth();
  const who = state.status === "signed-in" ? state.user.id : state.status === "signed-out" && state.guest ? "guest" : null;
  const [progress, setProgress] = useState<Map<string, ReadingProgress>>(new Map());
  const [bookmarks, setBookmarks] = useState<Bookmark[] | null>(null);
  const [bookmarksError, setBookmarksError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!who) {
      setProgress(new Map());
      setBookmarks(state.status === "loading" ? null : []);
      return;
    }
    const ctrl = new AbortController();
    setBookmarksError(null);
    fetchProgress(ctrl.signal).then(
      (r) => setProgress(new Map(r.progress.map((p) => [p.chapterSlug, p]))),
      () => {},
    );
    fetchBookmarks(ctrl.signal).then(
      (r) => setBookmarks(r.bookmarks),
      (e: unknown) => {
        if (!ctrl.signal.aborted) setBookmarksError(e);
      },
    );
    return () => ctrl.abort();
  }, [who, attempt, state.status]);

  const report = useCallback<PlaceValue["report"]>(async (slug, p) => {
    await ensureCaller();
    const saved = await saveProgress(slug, p);
    setProgress((m) => new Map(m).set(slug, saved));
  }, []);

  const bookmark = useCallback<PlaceValue["bookmark"]>(async (slug, anchor, note) => {
    await ensureCaller();
    const saved = await addBookmark({ chapterSlug: slug, anchor, note });
    setBookmarks((list) => [saved, ...(list ?? []).filter((b) => b.id !== saved.id)]);
    return saved;
  }, []);

  const editNote = useCallback<PlaceValue["editNote"]>(async (id, note) => {
    const saved = await updateBookmark(id, note);
    setBookmarks((list) => (list ?? []).map((b) => (b.id === id ? saved : b)));
  }, []);

  const remove = useCallback<PlaceValue["remove"]>(async (id) => {
    await deleteBookmark(id);
    setBookmarks((list) => (list ?? []).filter((b) => b.id !== id));
  }, []);

  const value = useMemo<PlaceValue>(() => {
    let latest: ReadingProgress | null = null;
    for (const p of progress.values()) if (!latest || p.updatedAt > latest.updatedAt) latest = p;
    return { progress, latest, bookmarks, bookmarksError, reloadBookmarks: () => setAttempt((n) => n + 1), report, bookmark, editNote, remove };
  }, [progress, bookmarks, bookmarksError, report, bookmark, editNote, remove]);

  return <PlaceContext value={value}>{children}</PlaceContext>;
}

export function usePlace(): PlaceValue {
  const ctx = use(PlaceContext);
  if (!ctx) throw new Error("usePlace must be used inside <PlaceProvider>");
  return ctx;
}
