import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadBook } from "../book/book.ts";
import { buildBookSearch, snippetOf } from "./search.ts";

const SITE = path.resolve(import.meta.dirname, "../../../test/fixtures/docusaurus-site");

describe("the book's search over a Docusaurus site", async () => {
  const book = await loadBook(SITE);
  const search = buildBookSearch(book);

  it("leaves out pages the contents do not list (unlisted, left out of the sidebar)", () => {
    expect(search.search("zebra-striped rake prototype").map((r) => r.chapterSlug)).not.toContain("internal-notes");
    expect(search.search("hoe attachment tested").map((r) => r.chapterSlug)).not.toContain("field-work/tools/hoe");
  });

  it("finds chapters whose slug has folders, and links to them as the reader's URL", () => {
    const nested = book.chapters.find((c) => c.slug.includes("/") && c.headings.length > 0)!;
    const heading = nested.headings[0]!;
    const hit = search.search(heading.text).find((r) => r.chapterSlug === nested.slug);
    expect(hit?.url.startsWith(`/read/${nested.slug}`)).toBe(true);
  });

  it("gives at most 20 results", () => {
    expect(search.search("a e i o u the of and", 100).length).toBeLessThanOrEqual(20);
  });
});

describe("snippetOf", () => {
  it("marks every matched word in a window around the first, as offsets into the snippet", () => {
    const text = `${"filler ".repeat(40)}the zero moment point stays inside the support polygon; the moment matters`;
    const { snippet, highlights } = snippetOf(text, ["moment"]);
    expect(snippet.startsWith("…")).toBe(true);
    expect(highlights.length).toBe(2);
    for (const [a, b] of highlights) expect(snippet.slice(a, b)).toBe("moment");
  });

  it("never marks part of a word", () => {
    const { snippet, highlights } = snippetOf("momentum is not a moment", ["moment"]);
    expect(highlights.map(([a, b]) => snippet.slice(a, b))).toEqual(["moment"]);
    expect(highlights[0]![0]).toBe(snippet.lastIndexOf("moment"));
  });
});
