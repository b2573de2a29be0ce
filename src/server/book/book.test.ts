import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBook, neighbours, type Book } from "./book.ts";
import { createSlugger, slugFromFileName } from "./slug.ts";

/** Write `files` (path → content) under a fresh temp folder and return it. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "aibook-book-"));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

const dirs: string[] = [];
const load = async (files: Record<string, string>, warnings: string[] = []) => {
  const dir = fixture(files);
  dirs.push(dir);
  return loadBook(dir, (w) => warnings.push(w));
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const chapter = (book: Book, slug: string) => {
  const c = book.find(slug);
  if (!c) throw new Error(`no chapter ${slug} in ${book.chapters.map((x) => x.slug).join(", ")}`);
  return c;
};

describe("slugs", () => {
  it("come from file names without numeric prefix and extension", () => {
    expect(slugFromFileName("01-intro.md")).toBe("intro");
    expect(slugFromFileName("2_Getting Started.MDX")).toBe("getting-started");
    expect(slugFromFileName("Über Robots.md")).toBe("uber-robots");
    expect(slugFromFileName("2024.md")).toBe("2024");
  });

  it("make heading ids unique within a chapter, github-style", () => {
    const slug = createSlugger();
    expect([slug("Setup"), slug("Setup"), slug("Setup-1"), slug("What's new?"), slug("")]).toEqual([
      "setup",
      "setup-1",
      "setup-1-1",
      "whats-new",
      "section",
    ]);
  });

  it("never give a heading an id the web app's page uses itself", () => {
    const slug = createSlugger();
    expect([slug("Main"), slug("Root")]).toEqual(["main-1", "root-1"]);
  });
});

describe("loading our own layout", () => {
  let book: Book;
  const warnings: string[] = [];
  beforeAll(async () => {
    book = await load(
      {
        "book.json": JSON.stringify({ title: "Robots", description: "About robots." }),
        "01-intro.md": "---\ntitle: Welcome\norder: 1\ndescription: Where it starts.\n---\n\nHello.\n",
        "02-second.md": "# The *second* chapter\n\nText.\n",
        "10-last.md": "Just text, no title anywhere.\n",
        "appendix.md": "---\ntitle: Appendix\norder: 1.5\n---\nA.\n",
        "_partial.md": "# Not a chapter\n",
        ".hidden.md": "# Not a chapter\n",
        "notes.txt": "not a chapter",
        "evil.md": "---js\n{ title: require('child_process').execSync('id').toString() }\n---\nBody\n",
      },
      warnings,
    );
  });

  it("reads book.json for the title and description", () => {
    expect(book.title).toBe("Robots");
    expect(book.description).toBe("About robots.");
  });

  it("orders chapters by front matter order, then numeric prefix, and numbers them from 1", () => {
    expect(book.chapters.map((c) => [c.order, c.slug, c.title])).toEqual([
      [1, "intro", "Welcome"],
      [2, "appendix", "Appendix"],
      [3, "second", "The second chapter"],
      [4, "last", "Last"],
    ]);
    expect(chapter(book, "intro").description).toBe("Where it starts.");
    expect(chapter(book, "second").description).toBeNull();
  });

  it("takes a leading # heading as the title and out of the HTML", () => {
    const c = chapter(book, "second");
    expect(c.html).not.toContain("<h1");
    expect(c.headings).toEqual([]);
  });

  it("never evaluates JavaScript front matter: the chapter is left out with a warning", () => {
    expect(book.find("evil")).toBeUndefined();
    expect(warnings.some((w) => w.includes("evil.md"))).toBe(true);
  });

  it("links each chapter to the ones before and after it", () => {
    expect(neighbours(book, chapter(book, "intro"))).toEqual({ prev: null, next: { slug: "appendix", title: "Appendix" } });
    expect(neighbours(book, chapter(book, "second"))).toEqual({
      prev: { slug: "appendix", title: "Appendix" },
      next: { slug: "last", title: "Last" },
    });
    expect(neighbours(book, chapter(book, "last")).next).toBeNull();
  });

  it("falls back to 'AI Book' without book.json, and to no chapters without a folder", async () => {
    const bare = await load({ "a.md": "A" });
    expect(bare.title).toBe("AI Book");
    expect(bare.description).toBeNull();
    const warnings: string[] = [];
    const missing = await loadBook(path.join(tmpdir(), "aibook-no-such-book-folder"), (w) => warnings.push(w));
    expect(missing.chapters).toEqual([]);
    expect(warnings[0]).toMatch(/not a folder/);
  });
});

describe("loading a Docusaurus docs/ folder", () => {
  let book: Book;
  beforeAll(async () => {
    book = await load({
      "intro.mdx": [
        "---",
        "sidebar_position: 1",
        "title: Tutorial Intro",
        "---",
        "import Tabs from '@theme/Tabs';",
        "export const meta = { x: 1 };",
        "",
        "Let's discover **Docusaurus**. Next: [create a page](tutorial-basics/create-a-page.md#step-1).",
        "",
        "```python",
        "import os",
        "export = 1",
        "```",
      ].join("\n"),
      "tutorial-basics/_category_.json": JSON.stringify({ label: "Tutorial - Basics", position: 2 }),
      "tutorial-basics/create-a-page.md": "---\nsidebar_position: 1\n---\n\n# Create a Page\n\n## Step 1\n\nBack to [intro](../intro.mdx) or [intro without extension](../intro).\n",
      "tutorial-basics/deploy.md": "---\nsidebar_position: 2\n---\n\n# Deploy your site\n\n![Diagram](../img/deploy.png)\n",
      "tutorial-basics/intro.md": "# Basics intro\n",
      "03-extras/intro.md": "---\nsidebar_position: 9\n---\n# Extras intro\n",
      "img/deploy.png": "not really a png",
    });
  });

  it("flattens nested folders in order: folder position from _category_.json or numeric prefix", () => {
    expect(book.chapters.map((c) => c.slug)).toEqual([
      "intro",
      "create-a-page",
      "deploy",
      "tutorial-basics-intro",
      "extras-intro",
    ]);
    expect(book.chapters.map((c) => c.title)).toEqual([
      "Tutorial Intro",
      "Create a Page",
      "Deploy your site",
      "Basics intro",
      "Extras intro",
    ]);
  });

  it("drops MDX import/export (parsed by remark-mdx, never run), but not inside code fences", () => {
    const html = chapter(book, "intro").html;
    expect(html).not.toContain("@theme/Tabs");
    expect(html).not.toContain("meta = {");
    expect(html.replace(/<[^>]+>/g, "")).toContain("import os\nexport = 1");
  });

  it("rewrites links between chapters, across folders and without extensions, keeping fragments", () => {
    expect(chapter(book, "intro").html).toContain('<a href="/read/create-a-page#step-1">create a page</a>');
    const page = chapter(book, "create-a-page").html;
    expect(page).toContain('<a href="/read/intro">intro</a>');
    expect(page).toContain('<a href="/read/intro">intro without extension</a>');
  });

  it("rewrites relative images to /book-assets/ paths inside the book", () => {
    expect(chapter(book, "deploy").html).toContain('src="/book-assets/img/deploy.png" alt="Diagram"');
  });
});

describe("rendering", () => {
  let book: Book;
  beforeAll(async () => {
    book = await load({
      "chapters/01-render.md": [
        "# Render test",
        "",
        "## Setup & *install*",
        "",
        "## Setup & *install*",
        "",
        "### `code` in a heading",
        "",
        "```ts",
        "const x: number = 1 < 2 ? 1 : 2;",
        "```",
        "",
        "| a | b |",
        "|:--|--:|",
        "| 1 | 2 |",
        "",
        "- [x] done",
        "",
        "[ext](https://example.com/x?y=1) [mail](mailto:a@example.com) [frag](#setup--install) [other](02-other.md#top)",
        "[outside](../../../etc/passwd.md) [site](/account) [file](files/data.png)",
        "",
        "![one](images/a.svg) ![two](./images/b%20c.png \"Title\") ![up](../shared/c.png) ![escape](../../d.png) ![remote](https://example.com/e.png)",
      ].join("\n"),
      "chapters/02-other.md": "Other.",
    });
  });

  it("gives headings unique ids and lists them with plain text and depth", () => {
    const c = chapter(book, "render");
    expect(c.title).toBe("Render test");
    expect(c.headings).toEqual([
      { id: "setup--install", text: "Setup & install", depth: 2 },
      { id: "setup--install-1", text: "Setup & install", depth: 2 },
      { id: "code-in-a-heading", text: "code in a heading", depth: 3 },
    ]);
    expect(c.html).toContain('<h2 id="setup--install">Setup &amp; <em>install</em></h2>');
    expect(c.html).toContain('<h3 id="code-in-a-heading"><code>code</code> in a heading</h3>');
  });

  it("renders GFM: code blocks with a language class (highlighted), tables, task lists", () => {
    const html = chapter(book, "render").html;
    expect(html).toContain('<pre class="language-ts" data-language="ts"><code class="language-ts"><span class="code-line"><span class="token keyword">const</span> x');
    expect(html.replace(/<[^>]+>/g, "")).toContain("const x: number = 1 &lt; 2 ? 1 : 2;\n");
    expect(html).toContain('<th align="left">a</th>');
    expect(html).toMatch(/<input (?=[^>]*type="checkbox")(?=[^>]*disabled)(?=[^>]*checked)[^>]*\/?>/);
  });

  it("opens external links in a new tab without an opener, and rewrites book links", () => {
    const html = chapter(book, "render").html;
    expect(html).toContain('<a href="https://example.com/x?y=1" rel="noopener noreferrer" target="_blank">ext</a>');
    expect(html).toContain('<a href="mailto:a@example.com">mail</a>');
    expect(html).toContain('<a href="#setup--install">frag</a>');
    expect(html).toContain('<a href="/read/other#top">other</a>');
    expect(html).toContain("<a>outside</a>");
    expect(html).toContain('<a href="/account">site</a>');
    expect(html).toContain('<a href="/book-assets/chapters/files/data.png">file</a>');
  });

  it("rewrites relative images, drops ones outside the book, keeps remote ones", () => {
    const html = chapter(book, "render").html;
    expect(html).toContain('src="/book-assets/chapters/images/a.svg"');
    expect(html).toContain('src="/book-assets/chapters/images/b%20c.png" alt="two" title="Title"');
    expect(html).toContain('src="/book-assets/shared/c.png"');
    expect(html).toMatch(/<img loading="lazy" alt="escape" \/>/);
    expect(html).toContain('src="https://example.com/e.png"');
  });
});

describe("sanitising", () => {
  const XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(2)">y</a>',
    '<a href="&#106;avascript:alert(3)">z</a>',
    '<a href="java\tscript:alert(4)">w</a>',
    "[d](data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    '<svg onload="alert(6)"><circle r="1"/></svg>',
    '<p style="background:url(javascript:alert(7))" onclick="alert(8)">styled</p>',
    '<h2 id="root">Clobber</h2>',
    '<form action="https://evil.example"><input name="q" type="text"><button>Go</button></form>',
    "<object data=x></object><embed src=x><style>body{display:none}</style><math><mtext>m</mtext></math>",
    '<a href="//evil.example/x">proto-relative</a>',
    '<img src="x" srcset="javascript:alert(9)">',
  ].join("\n\n");

  it("renders the XSS classics inert", async () => {
    const book = await load({ "xss.md": `# XSS\n\n${XSS}\n` });
    const html = chapter(book, "xss").html;
    for (const bad of ["<script", "alert(1)", "onerror", "javascript", "<iframe", "<svg", "onload", "style=", "<style", "onclick", "<input", "dropped", "<form", "<button", "<object", "<embed", "srcset", "data:", 'id="root"', "evil.example", 'name="q"']) {
      expect(html.toLowerCase(), bad).not.toContain(bad.toLowerCase());
    }
    // The harmless parts survive.
    expect(html).toContain("styled");
    expect(html).toContain("<h2>Clobber</h2>");
    expect(html).toContain('<img loading="lazy" src="/book-assets/x" alt="" />');
    expect(html).toMatch(/<a>x<\/a>/);
    expect(html).toContain("<p><a>proto-relative</a></p>");
  });
});
