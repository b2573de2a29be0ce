import { createElement, Fragment, type ReactNode } from "react";
import type { RootContent } from "hast";
import { refractor } from "refractor";

/**
 * Code in an answer coloured as the book's code is (issue 14, item 7): Prism's grammars through
 * refractor, the library the server highlights chapters with (server/book/render/code.ts), so the
 * same token classes take the book's colours. Loaded as a lazy chunk, only when an answer holds
 * a fenced block. Only spans and text come out: the code stays text, never parsed as HTML.
 */
export function highlightCode(code: string, language: string): ReactNode | null {
  if (!refractor.registered(language)) return null;
  try {
    return toReact(refractor.highlight(code, language).children);
  } catch {
    return null;
  }
}

function toReact(nodes: RootContent[]): ReactNode[] {
  return nodes.map((n, i) => {
    if (n.type === "text") return n.value;
    if (n.type !== "element") return null;
    const cls = n.properties.className;
    const className = Array.isArray(cls) ? cls.map(String).join(" ") : undefined;
    return n.tagName === "span" ? createElement("span", { key: i, className }, toReact(n.children)) : createElement(Fragment, { key: i }, toReact(n.children));
  });
}
