/**
 * A Docusaurus site as the book (issue 14), through the whole server: test/fixtures/docusaurus-site
 * given to BOOK_DIR as the site's root and as its docs/ folder. The contents equal its sidebars.ts,
 * hidden pages are served but not listed nor used by the chat, and every link in every page leads
 * somewhere on this site. Its MDX is read by the MDX toolchain (step 2): admonitions, tabs, code,
 * diagrams and math render, and no page shows MDX or a component's code.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContentsItem } from "../../src/shared/api/book.ts";
import { loadBook } from "../../src/server/book/book.ts";
import { diskRenderCache } from "../../src/server/book/render/cache.ts";
import { createTestInstance, type TestInstance } from "../support/instance.ts";

const SITE = path.resolve(import.meta.dirname, "../fixtures/docusaurus-site");

/** The contents as one line per item: `category The Basics [generated-index category/the-basics] open`. */
function outline(items: ContentsItem[], depth = 0): string[] {
  return items.flatMap((i) => {
    const pad = "  ".repeat(depth);
    if (i.type === "doc") return [`${pad}doc ${i.label} ${i.slug}`];
    if (i.type === "link") return [`${pad}link ${i.label} ${i.href}`];
    const link = i.link ? ` [${i.link.type} ${i.link.slug}]` : "";
    return [`${pad}category ${i.label}${link}${i.collapsed ? "" : " open"}`, ...outline(i.items, depth + 1)];
  });
}

const EXPECTED_CONTENTS = [
  "doc Welcome intro",
  "category The Basics [generated-index category/the-basics] open",
  "  doc Setting up basics/setup",
  "  doc Sensors basics/sensors",
  "category Field work",
  "  doc Watering field-work/watering",
  "  doc Planting field-work/planting",
  "  category Tools and care [generated-index category/tools-and-care]",
  "    doc Rake field-work/tools/rake",
  "  category Seasons [doc field-work/seasons] open",
  "    doc Spring field-work/seasons/spring",
  "category Reference [doc reference/overview]",
  "  doc Glossary glossary",
  "  doc Questions reference/questions",
  "  doc Programming the robot reference/programming",
  "category Appendix",
  "  doc Credits appendix-credits",
  "  link Garden club https://garden-robots.example/club",
];

describe.each([
  ["the site's root", SITE],
  ["its docs/ folder", path.join(SITE, "docs")],
])("BOOK_DIR set to %s", (_name, bookDir) => {
  let t: TestInstance;
  beforeAll(async () => {
    t = await createTestInstance("sqlite", { BOOK_DIR: bookDir });
  });
  afterAll(() => t?.close());

  it("has the site's title and tagline, and the first sidebar as its contents", async () => {
    const res = await t.client().get("/api/v1/book");
    expect(res.status).toBe(200);
    expect(res.json.title).toBe("Garden Robots Handbook");
    expect(res.json.tagline).toBe("Small machines for patient gardeners");
    expect(outline(res.json.contents)).toEqual(EXPECTED_CONTENTS);
  });

  it("reads in sidebar order, category pages before their items; previous/next follow it", async () => {
    const { json } = await t.client().get("/api/v1/book");
    const order = (json.chapters as { slug: string; order: number }[]).map((c) => c.slug);
    expect(order).toEqual([
      "intro",
      "category/the-basics",
      "basics/setup",
      "basics/sensors",
      "field-work/watering",
      "field-work/planting",
      "category/tools-and-care",
      "field-work/tools/rake",
      "field-work/seasons",
      "field-work/seasons/spring",
      "reference/overview",
      "glossary",
      "reference/questions",
      "reference/programming",
      "appendix-credits",
    ]);
    const sensors = await t.client().get(`/api/v1/book/chapters/${encodeURIComponent("basics/sensors")}`);
    expect(sensors.status).toBe(200);
    expect(sensors.json.prev).toEqual({ slug: "basics/setup", title: "Setting up" });
    expect(sensors.json.next).toEqual({ slug: "field-work/watering", title: "Watering" });
  });

  it("serves unlisted, left-out and other-sidebar pages at their URL, without previous/next; never drafts", async () => {
    for (const slug of ["field-work/tools/hoe", "internal-notes", "extra/other"]) {
      const res = await t.client().get(`/api/v1/book/chapters/${encodeURIComponent(slug)}`);
      expect(res.status, slug).toBe(200);
      expect([res.json.prev, res.json.next]).toEqual([null, null]);
    }
    const { json } = await t.client().get("/api/v1/book");
    const listed = JSON.stringify(json);
    for (const hidden of ["hoe", "internal-notes", "extra/other", "draft"]) expect(listed).not.toContain(hidden);
    expect((await t.client().get("/api/v1/book/chapters/draft-idea")).status).toBe(404);
  });

  it("never makes chapters of i18n/, static/ or blog/ Markdown", async () => {
    const book = t.services.book.current();
    expect(book.pages.map((p) => p.file).filter((f) => /i18n|static|blog|README/i.test(f))).toEqual([]);
    expect(book.pages.some((p) => /Bienvenue|Static notes|blog post/.test(p.html + p.title))).toBe(false);
  });

  it("gives every page one h1: Docusaurus's title rule, the page's own # heading shown once", async () => {
    const res = await t.client().get(`/api/v1/book/chapters/${encodeURIComponent("basics/sensors")}`);
    expect(res.json).toMatchObject({ title: "Sensors", heading: "Seeing the garden" });
    // The # heading after a <div> is the page's title, not a second one.
    const watering = await t.client().get(`/api/v1/book/chapters/${encodeURIComponent("field-work/watering")}`);
    expect(watering.json.heading).toBe("Watering");
    for (const page of t.services.book.current().pages) expect(page.html, page.slug).not.toMatch(/<h1/i);
  });

  it("resolves every link in every page: chapters and their anchors, images", async () => {
    const book = t.services.book.current();
    const seen = new Set<string>();
    for (const page of book.pages) {
      for (const [, attr, url] of page.html.matchAll(/\s(href|src)="([^"]*)"/g)) {
        if (/^https?:/.test(url!)) continue;
        if (url!.startsWith("#")) {
          expect([...page.headings.map((h) => h.id), ...page.anchors], `${page.slug}: ${url}`).toContain(url!.slice(1));
          continue;
        }
        const [pathname, fragment] = url!.replace(/&amp;/g, "&").split("#") as [string, string | undefined];
        seen.add(`${attr} ${pathname}`);
        if (pathname.startsWith("/read/")) {
          const target = book.find(decodeURIComponent(pathname.slice("/read/".length)));
          expect(target, `${page.slug}: ${url}`).toBeDefined();
          if (fragment) expect([...target!.headings.map((h) => h.id), ...target!.anchors], `${page.slug}: ${url}`).toContain(fragment);
        } else {
          expect((await t.client().get(pathname)).status, `${page.slug}: ${url}`).toBe(200);
        }
      }
    }
    // By id and by slug, with and without the baseUrl, relative with anchors, and /img/ from static/.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(["href /read/basics/setup", "href /read/glossary", "href /read/basics/sensors", "href /read/field-work/tools/rake", "src /book-static/img/robot.svg"]),
    );
    // `<a name>` anchors are targets, on the page and from another page.
    expect(book.find("basics/setup")!.html).toContain('<a id="battery-care" name="battery-care"></a>');
    expect(book.find("reference/programming")!.html).toContain('<a href="/read/basics/setup#battery-care">battery care</a>');
    expect(book.find("reference/programming")!.html).toContain('<a href="#decision-loop">loop below</a>');
  });

  it("shows no MDX in any page: no ':::', no import/export, no component's code", async () => {
    for (const page of t.services.book.current().pages) {
      const text = page.html.replace(/<[^>]+>/g, "");
      expect(text, page.slug).not.toContain(":::");
      for (const bad of ["require(", "=>", "import ", "export ", "@theme/", "@site/", "<WaterCalculator", "<BrowserOnly", "<Tabs", "<TabItem", "fallback"]) {
        expect(text, `${page.slug}: ${bad}`).not.toContain(bad);
      }
      expect(page.html, page.slug).not.toMatch(/<(script|style|svg onload)/i);
    }
  });

  it("renders the theme's components: admonitions, tabs, details, code, diagrams, math", async () => {
    const res = await t.client().get(`/api/v1/book/chapters/${encodeURIComponent("reference/programming")}`);
    expect(res.status).toBe(200);
    const html = res.json.html as string;
    expect(res.json.heading).toBe("Programming the robot");
    // Six types of admonition, as an aside with role note, an icon and a visible title; nested too.
    const asides = [...html.matchAll(/<aside class="admonition admonition-(\w+)" data-admonition="\w+" role="note"><p class="admonition-title"><svg[^>]*aria-hidden="true"[\s\S]*?<\/svg>(.*?)<\/p>/g)].map((m) => `${m[1]}: ${m[2]!.replace(/<[^>]+>/g, "")}`);
    expect(asides).toEqual(["note: Note", "tip: Tip: Charge first", "info: Info: Note", "warning: Warning: Mind the cable", "danger: Danger", "caution: Caution: Before the first run", "note: Note"]);
    // Tabs in two places with one groupId: every panel present under its label.
    const tabs = [...html.matchAll(/<div class="tabs" data-tabs data-group-id="([^"]+)">/g)].map((m) => m[1]);
    expect(tabs).toEqual(["operating-system", "operating-system"]);
    const panels = [...html.matchAll(/<div class="tab-panel" data-tab-value="(\w+)" data-tab-label="(\w+)"( data-tab-default)?><h3 class="tab-label">(\w+)<\/h3>/g)].map((m) => `${m[1]} ${m[2]}${m[3] ? " default" : ""} ${m[4]}`);
    expect(panels).toEqual(["linux Linux default Linux", "mac macOS macOS", "linux Linux Linux", "mac macOS macOS"]);
    expect(html).toContain("<details><summary>Why thirty seconds a litre?</summary><p>");
    // Code: highlighted with Prism's token classes, titles, highlighted and numbered lines, several languages.
    for (const lang of ["bash", "python", "cpp", "yaml"]) expect(html).toContain(`<pre class="language-${lang}" data-language="${lang}"`);
    expect(html).toContain('<figcaption class="code-title">water.py</figcaption>');
    expect(html).toContain('<span class="code-line highlighted" data-line="3">    wait<span class="token punctuation">(</span>');
    expect(html).toContain('<span class="code-line" data-line="10"><span class="token keyword">void</span>');
    expect(html).toContain('<figcaption class="code-title">garden.yml</figcaption>');
    expect(html).not.toContain("highlight-next-line");
    expect(html).toContain('<code class="language-robotscript"><span class="code-line">MOVE ROW 1\n</span>');
    // The diagram's source, in the container the web app draws; math typeset by KaTeX.
    expect(html).toContain('<div class="mermaid-diagram" data-mermaid><pre class="mermaid-source"><code class="language-mermaid">graph LR\n  Sensor[Soil sensor] --&gt; Controller');
    expect(html).toContain('<div class="math-display"><span class="katex-display">');
    // The components only the site can show: a note naming each, pointing to this page there.
    expect(html).toContain('data-component="WaterCalculator" role="note"><p>Here the book shows an interactive part (<code>WaterCalculator</code>)');
    expect(html).toContain('href="https://garden-robots.example/handbook/docs/reference/programming"');
  });

  it("lets the chat draw on the listed docs only", () => {
    const index = t.services.bookIndex();
    expect(index.search("zebra-striped rake prototype").map((p) => p.chapterSlug)).not.toContain("internal-notes");
    expect(index.search("hoe attachment tested").map((p) => p.chapterSlug)).not.toContain("field-work/tools/hoe");
    expect(index.search("light sensor day night")[0]?.url).toBe("/read/basics/sensors#light-sensors");
  });
});

it("reports the broken link and the components only the site can show, with their files, in one startup warning", async () => {
  const warnings: string[] = [];
  await loadBook(SITE, (w) => warnings.push(w));
  expect(warnings).toEqual([
    [
      "The book has 2 problems:",
      "  - intro.md: the link ./old-page.md leads nowhere",
      "  - 2 components only the book's own site can show, each replaced by a note: WaterCalculator (1 time: reference/programming.mdx); BrowserOnly (1 time: reference/programming.mdx)",
    ].join("\n"),
  ]);
});

it("keeps rendered pages on disk: a warm start renders nothing again and gives the same pages", async () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), "aibook-render-cache-"));
  try {
    const cold = diskRenderCache(cacheDir, () => {});
    const first = await loadBook(SITE, () => {}, { cache: cold });
    expect(cold.stats).toEqual({ hits: 0, writes: first.pages.filter((p) => p.kind === "doc").length });
    const warm = diskRenderCache(cacheDir, () => {});
    const second = await loadBook(SITE, () => {}, { cache: warm });
    expect(warm.stats).toEqual({ hits: cold.stats.writes, writes: 0 });
    expect(second.pages.map((p) => p.html)).toEqual(first.pages.map((p) => p.html));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
