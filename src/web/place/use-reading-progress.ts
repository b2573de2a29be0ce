import { useEffect, useRef, useState, type RefObject } from "react";
import { saveProgressOnLeave } from "./place-api.ts";
import { usePlace } from "./PlaceProvider.tsx";

/** At most one report in this long while the reader scrolls (issue 14: throttled, and on leaving). */
const REPORT_EVERY_MS = 4000;

/** A chapter that fits on the screen has nothing to scroll: it is read once the reader has stayed this long. */
export const SHORT_CHAPTER_READ_MS = 5000;

interface Place {
  anchor: string | null;
  fraction: number;
  completed: boolean;
}

/** Where the reader is in the article: the last section heading above the top third of the window, and how far down. */
function measure(article: HTMLElement, anchors: readonly string[]): Place {
  const rect = article.getBoundingClientRect();
  const seen = window.innerHeight - rect.top;
  const fraction = Math.min(1, Math.max(0, seen / Math.max(rect.height, 1)));
  let anchor: string | null = null;
  const line = window.innerHeight / 3;
  for (const id of anchors) {
    const el = document.getElementById(id);
    if (el && article.contains(el) && el.getBoundingClientRect().top <= line) anchor = id;
  }
  // The end of the article on screen is the end of the chapter.
  const completed = rect.bottom <= window.innerHeight + 2;
  return { anchor, fraction: Math.round((completed ? 1 : fraction) * 1000) / 1000, completed };
}

/**
 * Reports the reader's place in a chapter as they scroll (throttled) and as they leave it; returns
 * the section in view, for the bookmark button. Nothing is sent before the reader scrolls (opening
 * a chapter is not reading it), except for a chapter wholly on screen that the reader stays on for
 * SHORT_CHAPTER_READ_MS with the page visible: there is nothing to scroll, and it is read.
 */
export function useReadingProgress(slug: string, articleRef: RefObject<HTMLElement | null>, anchors: readonly string[]): string | null {
  const { report } = usePlace();
  const [section, setSection] = useState<string | null>(null);
  const pending = useRef<Place | null>(null);
  const last = useRef(0);
  const reportRef = useRef(report);
  reportRef.current = report;

  useEffect(() => {
    let timer: number | undefined;
    const flush = () => {
      timer = undefined;
      const place = pending.current;
      if (!place) return;
      pending.current = null;
      last.current = Date.now();
      reportRef.current(slug, place).catch(() => {});
    };
    const onScroll = () => {
      const article = articleRef.current;
      if (!article) return;
      const place = measure(article, anchors);
      setSection(place.anchor);
      pending.current = place;
      if (timer !== undefined) return;
      timer = window.setTimeout(flush, Math.max(0, REPORT_EVERY_MS - (Date.now() - last.current)));
    };
    const onLeave = () => {
      if (pending.current) saveProgressOnLeave(slug, pending.current);
      pending.current = null;
    };
    const shortChapter = window.setTimeout(() => {
      const article = articleRef.current;
      if (!article || last.current || pending.current || document.visibilityState !== "visible") return;
      const place = measure(article, anchors);
      if (!place.completed || article.getBoundingClientRect().top < 0) return;
      pending.current = place;
      flush();
    }, SHORT_CHAPTER_READ_MS);
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("pagehide", onLeave);
    return () => {
      window.removeEventListener("scroll", onScroll);
      window.removeEventListener("pagehide", onLeave);
      window.clearTimeout(timer);
      window.clearTimeout(shortChapter);
      // Leaving the chapter inside the app: the last place goes now.
      flush();
    };
  }, [slug, articleRef, anchors]);

  return section;
}
