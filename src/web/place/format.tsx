import type { ReactNode } from "react";
import type { ReadingProgress } from "../../shared/api/place.ts";

/** The snippet as text with <mark> around the matched words: React escapes the text, so no HTML from the book can get in. */
export function marked(snippet: string, highlights: readonly (readonly [number, number])[]): ReactNode[] {
  const out: ReactNode[] = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (start < at || end > snippet.length || end <= start) continue;
    if (start > at) out.push(snippet.slice(at, start));
    out.push(<mark key={start}>{snippet.slice(start, end)}</mark>);
    at = end;
  }
  if (at < snippet.length) out.push(snippet.slice(at));
  return out;
}

/** "read", "42% read", or null for a chapter not opened: the contents' marker. */
export function progressLabel(p: ReadingProgress | undefined): string | null {
  if (!p) return null;
  if (p.completed) return "read";
  return `${Math.round(p.fraction * 100)}% read`;
}
