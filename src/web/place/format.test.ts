import { createElement, Fragment } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { marked, progressLabel } from "./format.tsx";

const html = (snippet: string, highlights: [number, number][]) => renderToStaticMarkup(createElement(Fragment, null, ...marked(snippet, highlights)));

describe("marked search snippets", () => {
  it("wraps the matched words in <mark> and escapes everything else, the book's markup included", () => {
    expect(html("the <b>zero</b> moment", [[7, 11], [16, 22]])).toBe("the &lt;b&gt;<mark>zero</mark>&lt;/b&gt; <mark>moment</mark>");
  });

  it("ignores ranges that overlap, run backwards or past the end", () => {
    expect(html("abc def", [[0, 3], [1, 2], [5, 4], [4, 99]])).toBe("<mark>abc</mark> def");
  });
});

describe("progressLabel", () => {
  it("says read, or how far along", () => {
    expect(progressLabel(undefined)).toBeNull();
    expect(progressLabel({ chapterSlug: "a", anchor: null, fraction: 0.424, completed: false, updatedAt: 1 })).toBe("42% read");
    expect(progressLabel({ chapterSlug: "a", anchor: null, fraction: 0.5, completed: true, updatedAt: 1 })).toBe("read");
  });
});
