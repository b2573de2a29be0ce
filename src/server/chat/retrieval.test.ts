import { describe, expect, it } from "vitest";
import { buildBookIndex, htmlToText, sectionsOf } from "./retrieval.ts";

describe("htmlToText", () => {
  it("decodes named, decimal and hexadecimal entities", () => {
    expect(htmlToText("<p>Q&amp;A: &lt;b&gt; &quot;q&quot; it&#39;s &apos;x&apos;&nbsp;y</p>")).toBe(`Q&A: <b> "q" it's 'x' y`);
    // Regression (latent: the book loader decodes entities before us): hex references became spaces, named ones stayed encoded.
    expect(htmlToText("<p>a &#8212; b &#x2014; c &#X2014; d &mdash; e &ndash; f&hellip; &rsquo;g&lsquo; &ldquo;h&rdquo;</p>")).toBe("a — b — c — d — e – f… ’g‘ “h”");
  });

  it("never throws on references that are no characters, and leaves unknown names alone", () => {
    // Regression (latent, as above): `&#99999999;` made String.fromCodePoint throw, failing the whole index build.
    expect(() => htmlToText("<p>&#99999999; &#x110000; &#0; &#xZZ; &bogus;</p>")).not.toThrow();
    expect(htmlToText("<p>x &bogus; y &#xZZ; z</p>")).toBe("x &bogus; y &#xZZ; z");
  });

  it("joins inline markup without breaking words, and separates blocks", () => {
    // Regression: every tag became a space, so "un<em>believ</em>able" read "un believ able" and "*word*:" read "word :".
    expect(htmlToText("<p>A <strong>bold <em>word</em></strong>: un<em>believ</em>able, <a href='/x'>link</a>.</p>")).toBe("A bold word: unbelievable, link.");
    expect(htmlToText("<ul><li>one</li><li>two</li></ul><p>three<br>four</p>")).toBe("one\ntwo\nthree\nfour");
    // A table row reads as one sentence, so an answer never quotes a run of bare cells.
    expect(htmlToText("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>")).toBe("a; b.\nc; d.");
    // Regression: line breaks inside a paragraph's HTML split sentences, and answers quoted halves.
    expect(htmlToText("<p>The robot acts and receives a\nnumerical reward.</p>")).toBe("The robot acts and receives a numerical reward.");
    expect(htmlToText("<p>x</p><script>alert(1)</script><style>p{}</style><p>y</p>")).toBe("x\ny");
    expect(htmlToText("<pre><code>let a = 1 &lt; 2;</code></pre>")).toBe("let a = 1 < 2;");
  });
});

describe("sectionsOf", () => {
  const chapter = {
    slug: "balance",
    title: "Balance",
    html: `<h1 id="balance">Balance</h1><p>Intro <em>text</em> about balance.</p>
<h2 id="zmp">The <code>ZMP</code> &amp; support</h2><p>The zero moment point must stay inside the support polygon.</p>
<h2>Heading without id</h2><p>Still part of the ZMP section.</p>
<h2 id="empty">Only a heading</h2><h3 class="x" id="deeper">Deeper</h3><p>Nested section text.</p>`,
  };

  it("cuts at h2/h3 headings with ids, with the intro as the chapter's own section", () => {
    const sections = sectionsOf(chapter);
    expect(sections.map((s) => [s.id, s.sectionId, s.sectionTitle, s.url])).toEqual([
      ["balance#0", null, "Balance", "/read/balance"],
      ["balance#zmp", "zmp", "The ZMP & support", "/read/balance#zmp"],
      ["balance#deeper", "deeper", "Deeper", "/read/balance#deeper"],
    ]);
    expect(sections[0]!.text).toBe("Intro text about balance.");
    expect(sections.every((s) => s.chapterSlug === "balance" && s.chapterTitle === "Balance")).toBe(true);
  });

  it("keeps a heading without an id (no anchor to cite) inside the section before it", () => {
    const zmp = sectionsOf(chapter).find((s) => s.sectionId === "zmp")!;
    expect(zmp.text).toBe("The zero moment point must stay inside the support polygon.\nHeading without id\nStill part of the ZMP section.");
    expect(sectionsOf(chapter).some((s) => s.url.includes("undefined"))).toBe(false);
  });

  it("returns nothing for an empty chapter", () => {
    expect(sectionsOf({ slug: "x", title: "X", html: "" })).toEqual([]);
    expect(sectionsOf({ slug: "x", title: "X", html: "<h1>X</h1>" })).toEqual([]);
  });
});

describe("buildBookIndex", () => {
  const index = buildBookIndex([
    {
      slug: "what-is-physical-ai",
      title: "What is physical AI?",
      html: `<p>What is it? Physical AI is intelligence with a body.</p><h2 id="what-comes-next">What comes next</h2><p>The next chapters look at bodies and brains.</p>`,
    },
    {
      slug: "learning",
      title: "Learning to move",
      html: `<h2 id="vlas">Foundation models and VLAs</h2><p>A vision-language-action model (VLA) maps camera images and an instruction to motor commands.</p>`,
    },
  ]);

  it("ignores question words: they match every title that starts with What", () => {
    // Regression: "what"/"is" matched "What is physical AI?" and "What comes next" above the real answer.
    expect(index.search("What is a VLA model?")[0]!.url).toBe("/read/learning#vlas");
    expect(index.search("what is the")).toEqual([]);
  });

  it("does not answer from one stray common word", () => {
    // Regression: "best cheese raclette" returned any passage containing "next" or "best".
    expect(index.search("What comes after raclette cheese fondue?")).toEqual([]);
    expect(index.search("What is physical AI?")[0]!.url).toBe("/read/what-is-physical-ai");
    expect(index.search("VLA")[0]!.url).toBe("/read/learning#vlas");
  });
});
