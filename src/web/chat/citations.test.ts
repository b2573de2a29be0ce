import { describe, expect, it } from "vitest";
import { citationHref, citationLabel, uniqueCitations } from "./citations.ts";
import { selectionPrefill } from "./ChatContext.tsx";

const c = (over: Partial<Parameters<typeof citationHref>[0]> = {}) => ({
  chapterSlug: "anatomy-of-a-humanoid",
  chapterTitle: "Anatomy of a humanoid",
  sectionId: "balance-staying-on-two-feet",
  sectionTitle: "Balance: staying on two feet",
  url: "javascript:alert(1)",
  ...over,
});

describe("citations", () => {
  it("link to the chapter page and section, never to the url the server sent as is", () => {
    expect(citationHref(c())).toBe("/read/anatomy-of-a-humanoid#balance-staying-on-two-feet");
    expect(citationHref(c({ chapterSlug: "../x?y", sectionId: null }))).toBe("/read/..%2Fx%3Fy");
    // A Docusaurus doc's path keeps its slashes; anything that could climb out is encoded whole.
    expect(citationHref(c({ chapterSlug: "basics/intro", sectionId: "power" }))).toBe("/read/basics/intro#power");
    expect(citationHref(c({ chapterSlug: "a/../../x", sectionId: null }))).toBe("/read/a%2F..%2F..%2Fx");
  });

  it("read 'Chapter — Section', or just the chapter", () => {
    expect(citationLabel(c())).toBe("Anatomy of a humanoid — Balance: staying on two feet");
    expect(citationLabel(c({ sectionTitle: "Anatomy of a humanoid", sectionId: null }))).toBe("Anatomy of a humanoid");
  });

  it("list each place once", () => {
    expect(uniqueCitations([c(), c(), c({ sectionId: null })])).toHaveLength(2);
  });
});

describe("Ask about this", () => {
  it("quotes the selection with its whitespace collapsed, cut to about 500 characters", () => {
    expect(selectionPrefill("  the zero\n moment   point ")).toBe('About: "the zero moment point"\n');
    const long = selectionPrefill("word ".repeat(300));
    expect([...long].length).toBeLessThanOrEqual(500 + 'About: ""\n'.length);
    expect(long.endsWith('…"\n')).toBe(true);
  });
});
