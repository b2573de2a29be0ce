import { describe, expect, it } from "vitest";
import { PLAIN_MARKDOWN, renderChapter, renderSource, type RenderOptions } from "../render.ts";
import type { LinkRewriter } from "../sanitize.ts";
import { applyMagicComments, parseCodeMeta, splitLines } from "./code.ts";
import { admonitionTitleToLabel, escapeHeadingIds, unwrapMdxCodeBlocks } from "./preprocess.ts";

/** The render steps one by one (issue 14 step 2): MDX read by the MDX toolchain, never run. */
const seen: { href: string[]; src: string[] } = { href: [], src: [] };
const links: LinkRewriter = {
  href: (h) => (seen.href.push(h), { href: h, external: /^https?:/.test(h) }),
  src: (s) => (seen.src.push(s), s),
};
const MDX: RenderOptions = { format: "mdx", math: false, mermaid: true, siteUrl: "https://garden.example/docs/page" };
const mdx = (text: string, options: Partial<RenderOptions> = {}) => renderChapter(text, links, { ...MDX, ...options });
const md = (text: string, options: Partial<RenderOptions> = {}) => renderChapter(text, links, { ...PLAIN_MARKDOWN, ...options });
/** The words a reader sees, without markup. */
const words = (html: string) => html.replace(/<svg[\s\S]*?<\/svg>/g, "").replace(/<[^>]+>/g, "").replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("what Docusaurus does to a page before MDX reads it", () => {
  it("unwraps mdx-code-block fences, escapes {#id} in headings, turns ':::note Title' into a label", () => {
    expect(unwrapMdxCodeBlocks("a\n```mdx-code-block\n<Tabs />\n```\nb")).toBe("a\n<Tabs />\nb");
    expect(escapeHeadingIds("## Setup {#set-up}\ntext {#not-a-heading}")).toBe("## Setup \\{#set-up}\ntext {#not-a-heading}");
    expect(admonitionTitleToLabel(":::tip Watch out\nx\n:::\n> ::::info Nested [1]\n:::note[Already]\n:::noted Not one")).toBe(
      ":::tip[Watch out]\nx\n:::\n> ::::info[Nested \\[1\\]]\n:::note[Already]\n:::noted Not one",
    );
  });
});

describe("admonitions", () => {
  it("renders all six types as an aside with role note, a hidden icon and a visible title", () => {
    for (const type of ["note", "tip", "info", "warning", "danger", "caution"]) {
      const { html } = mdx(`:::${type}\nBody of ${type}.\n:::`);
      const title = type[0]!.toUpperCase() + type.slice(1);
      expect(html).toMatch(new RegExp(`^<aside class="admonition admonition-${type}" data-admonition="${type}" role="note"><p class="admonition-title"><svg [^>]*aria-hidden="true"[^>]*>.*</svg>${title}</p><div class="admonition-content"><p>Body of ${type}.</p></div></aside>$`));
    }
  });

  it("takes a custom title from the label, the old ':::info Title' form or {title=…}, and says the type to screen readers", () => {
    expect(mdx(":::tip[My *own* title]\nx\n:::").html).toContain('<span class="visually-hidden">Tip: </span>My <em>own</em> title</p>');
    expect(mdx(":::info Note\nx\n:::").html).toContain('<span class="visually-hidden">Info: </span>Note</p>');
    expect(mdx(':::danger{title="Hot"}\nx\n:::').html).toContain('<span class="visually-hidden">Danger: </span>Hot</p>');
    // Docusaurus's older names.
    expect(mdx(":::important\nx\n:::").html).toContain('data-admonition="info"');
  });

  it("nests with more colons, inside Markdown files too, and leaves no ':::' behind", () => {
    const { html } = md("::::warning Outer\nText\n\n:::tip\nInner\n:::\n::::\n\n:::custom\nKept content\n:::\n");
    expect(html).toMatch(/admonition-warning.*admonition-content"><p>Text<\/p><aside class="admonition admonition-tip"/s);
    expect(html).toContain("Kept content");
    expect(html).not.toContain(":::");
  });

  it("gives back as text what only looks like a directive: a time, :emoji:", () => {
    expect(mdx("Meet at 10:30 for :tea: and leaf\n\n::leaf").html).toBe("<p>Meet at 10:30 for :tea: and leaf</p>\n<p>::leaf</p>");
  });
});

describe("MDX without running it", () => {
  it("drops import/export, comments and expressions that are code, keeps plain strings", () => {
    const { html } = mdx("import X from '@site/x';\nexport const meta = {a: 1};\n\n<!-- a note for authors -->\n\nA {'literal'} and {1 + 1} and {/* comment */} {meta.a}.\n\n```python\nimport os\nexport = 1\n```");
    expect(words(html)).toBe("A literal and  and  .\nimport os\nexport = 1\n");
    expect(html).not.toMatch(/meta|@site|authors/);
  });

  it("keeps HTML written as JSX, with plain attributes only; require()d and imported images resolve", () => {
    seen.src.length = 0;
    const { html } = mdx(
      "import photo from './img/photo.png';\n\n<div className=\"banner\" style={{color: 'red'}} onClick={() => alert(1)}>\n\n<img src={require('@site/static/img/robot.svg').default} alt=\"Robot\" />\n<img src={photo} alt=\"Photo\" />\n\n</div>",
    );
    expect(html).toContain('<div><img loading="lazy" src="/img/robot.svg" alt="Robot" />');
    expect(seen.src).toEqual(["/img/robot.svg", "./img/photo.png"]);
    expect(html).not.toMatch(/style|onclick|alert|require/i);
  });

  it("reads an MDX page that does not parse as Markdown, and says why", () => {
    const r = renderSource("import A from 'a';\n\nText with a { stray brace.\n\n# Late", MDX);
    expect(r.problem).toMatch(/^not valid MDX \(.*line 3.*\); shown as plain Markdown$/);
    expect(r.html).toContain("Text with a { stray brace.");
    expect(r.html).not.toContain("import A");
  });
});

describe("theme components", () => {
  it("renders Tabs as every panel under its label, with what the web app needs to make tabs", () => {
    const { html, headings } = mdx(
      "## Install\n\n<Tabs groupId=\"os\" defaultValue=\"mac\" values={[{label: 'Linux!', value: 'linux'}, {label: 'macOS', value: 'mac'}]}>\n<TabItem value=\"linux\">\n\nOn Linux.\n\n</TabItem>\n<TabItem value=\"mac\">\n\nOn a Mac.\n\n</TabItem>\n<TabItem value=\"win\" label=\"Windows\">\n\n### Steps\n\nOn Windows.\n\n</TabItem>\n</Tabs>",
    );
    expect(html).toContain(
      '<div class="tabs" data-tabs data-group-id="os"><div class="tab-panel" data-tab-value="linux" data-tab-label="Linux!"><h3 class="tab-label">Linux!</h3><p>On Linux.</p></div><div class="tab-panel" data-tab-value="mac" data-tab-label="macOS" data-tab-default><h3 class="tab-label">macOS</h3><p>On a Mac.</p></div><div class="tab-panel" data-tab-value="win" data-tab-label="Windows"><h3 class="tab-label">Windows</h3><h3 id="steps">Steps</h3>',
    );
    // The labels are headings for reading, not sections of "On this page".
    expect(headings.map((h) => h.id)).toEqual(["install", "steps"]);
  });

  it("renders details with its summary, and Details, CodeBlock and Admonition components", () => {
    expect(mdx("<details>\n<summary>More</summary>\n\nHidden **text**\n\n</details>").html).toBe("<details><summary>More</summary><p>Hidden <strong>text</strong></p></details>");
    expect(mdx('<Details summary="Why?">\n\nBecause.\n\n</Details>').html).toBe("<details><summary>Why?</summary><p>Because.</p></details>");
    expect(mdx('<Admonition type="warning" title="Careful">\n\nHot.\n\n</Admonition>').html).toMatch(/^<aside class="admonition admonition-warning".*Careful<\/p><div class="admonition-content"><p>Hot.<\/p><\/div><\/aside>$/);
    const code = mdx('<CodeBlock language="jsx" title="/src/a.js" showLineNumbers>{`const a = <b />;\nexport default a;`}</CodeBlock>').html;
    expect(code).toMatch(/^<figure class="code-block" data-code-block><figcaption class="code-title">\/src\/a.js<\/figcaption><pre class="language-jsx" data-language="jsx" data-line-numbers><code class="language-jsx"><span class="code-line" data-line="1"><span class="token keyword">const<\/span>/);
    expect(words(code)).toBe("/src/a.jsconst a = <b />;\nexport default a;\n");
  });

  it("lists the page's headings for TOCInline", () => {
    const { html } = mdx("import TOCInline from '@theme/TOCInline';\n\n<TOCInline toc={toc} maxHeadingLevel={2} />\n\n## One\n\n### Deep\n\n## Two");
    expect(html).toContain('<nav class="toc-inline" aria-label="In this chapter"><ul><li class="toc-depth-2"><a href="#one">One</a></li><li class="toc-depth-2"><a href="#two">Two</a></li></ul></nav>');
  });

  it("puts a note naming any other component, pointing to the page on the book's site, never its code", () => {
    const r = mdx(
      "<BudgetCalculator initial={100} />\n\nOr live:\n\n<BrowserOnly fallback={<p>Loading…</p>}>\n  {() => {\n    const Live = require('@site/src/Live').default;\n    return <Live />;\n  }}\n</BrowserOnly>\n\nSee <Highlight color=\"#25c2a0\">green</Highlight> here.",
    );
    expect(r.html).toContain(
      '<div class="component-note" data-component="BudgetCalculator" role="note"><p>Here the book shows an interactive part (<code>BudgetCalculator</code>) that this reader cannot show. <a href="https://garden.example/docs/page" rel="noopener noreferrer" target="_blank">Open this page on the book\'s site</a> to use it.</p></div>',
    );
    expect(r.html).toContain('data-component="BrowserOnly"');
    expect(r.html).toContain('<p>See <span data-component="Highlight">green</span> here.</p>');
    expect(r.html).not.toMatch(/require|=>|Loading|<Live|initial/);
    expect(r.components).toEqual([["BudgetCalculator", 1], ["BrowserOnly", 1], ["Highlight", 1]]);
    expect(mdx("<Widget />", { siteUrl: null }).html).toContain("It works only on the book's own site.");
  });

  it("gives components side by side one note", () => {
    const r = mdx("<div style={{display: 'flex'}}>\n  <LikeButton id=\"a\" />\n  <ShareButton />\n</div>");
    expect(r.html).toBe(
      '<div><div class="component-note" data-component="LikeButton ShareButton" role="note"><p>Here the book shows interactive parts (<code>LikeButton</code>, <code>ShareButton</code>) that this reader cannot show. <a href="https://garden.example/docs/page" rel="noopener noreferrer" target="_blank">Open this page on the book\'s site</a> to use it.</p></div></div>',
    );
    expect(r.components).toEqual([["LikeButton", 1], ["ShareButton", 1]]);
  });
});

describe("embedded pages and media", () => {
  it("are a note pointing to the page on the book's site, never a frame of ours, in MDX and in Markdown", () => {
    const note = '<div class="component-note" role="note"><p>Here the book shows an embedded page, “Walking robot”, that this reader cannot show: <a href="https://garden.example/docs/page" rel="noopener noreferrer" target="_blank">open this page on the book\'s site</a>.</p></div>';
    expect(mdx('<iframe src="https://video.example/embed/1" title="Walking robot" allowFullScreen />').html).toBe(note);
    expect(md('<iframe src="https://video.example/embed/1" title="Walking robot"></iframe>', { siteUrl: "https://garden.example/docs/page" }).html).toBe(note);
    expect(md('Watch <video controls src="https://video.example/a.mp4"></video> now.').html).toBe(
      '<p>Watch <span class="component-note" role="note">Here the book shows a video that this reader cannot show; it is on the book\'s own site.</span> now.</p>',
    );
  });
});

describe("code blocks", () => {
  it("reads a fence's title, line ranges and line numbers", () => {
    expect(parseCodeMeta('title="a {1} b.py" {1,3-5} showLineNumbers')).toEqual({ title: "a {1} b.py", highlight: new Set([1, 3, 4, 5]), lineNumbersFrom: 1 });
    expect(parseCodeMeta("showLineNumbers=7")).toMatchObject({ title: undefined, lineNumbersFrom: 7 });
  });

  it("follows Docusaurus's highlight comments and removes them", () => {
    const lines = new Set<number>();
    const code = applyMagicComments("a\n// highlight-next-line\nb\n# highlight-start\nc\nd\n# highlight-end\n<!-- highlight-next-line -->\ne\nf", lines);
    expect(code).toBe("a\nb\nc\nd\ne\nf");
    expect([...lines]).toEqual([2, 3, 4, 5]);
  });

  it("cuts highlighted tokens at line ends, a multi-line string keeping its class on each line", () => {
    const str = { type: "element" as const, tagName: "span", properties: { className: ["token", "string"] }, children: [{ type: "text" as const, value: '"""a\nb"""' }] };
    const lines = splitLines([{ type: "text", value: "x = " }, str, { type: "text", value: "\ny" }]);
    expect(lines.map((l) => l.map((n) => (n.type === "element" ? `<${(n.properties.className as string[]).join(".")}>${(n.children[0] as { value: string }).value}` : (n as { value: string }).value)))).toEqual([
      ["x = ", '<token.string>"""a'],
      ['<token.string>b"""'],
      ["y"],
    ]);
  });

  it("highlights with Prism's classes, marks lines, and leaves unknown languages as plain text", () => {
    const { html } = md('```python title="water.py" {2} showLineNumbers=3\ndef f():\n    return "s"\n```\n\n```robotscript\nMOVE 1\n```\n\n<b>raw HTML</b> too');
    expect(html).toContain('<figure class="code-block" data-code-block><figcaption class="code-title">water.py</figcaption><pre class="language-python" data-language="python" data-line-numbers><code class="language-python"><span class="code-line" data-line="3"><span class="token keyword">def</span>');
    expect(html).toContain('<span class="code-line highlighted" data-line="4">    <span class="token keyword">return</span> <span class="token string">"s"</span>\n</span>');
    expect(html).toContain('<code class="language-robotscript"><span class="code-line">MOVE 1\n</span></code>');
  });

  it("keeps a mermaid diagram's source in a container the web app draws, or as code when the site does not draw them", () => {
    expect(md("```mermaid\ngraph LR\n  A --> B\n```").html).toBe('<div class="mermaid-diagram" data-mermaid><pre class="mermaid-source"><code class="language-mermaid">graph LR\n  A --&gt; B</code></pre></div>');
    expect(md("```mermaid\ngraph LR\n```", { mermaid: false }).html).toContain('<pre class="language-mermaid"');
  });
});

describe("math", () => {
  it("typesets $…$ and $$…$$ with KaTeX when the site uses remark-math, and leaves dollars alone otherwise", () => {
    const { html } = mdx("Speed $v = d/t$ is\n\n$$\n\\frac{1}{2}\n$$", { math: true });
    expect(html).toContain('<span class="katex"><span class="katex-mathml"><math xmlns="http://www.w3.org/1998/Math/MathML">');
    expect(html).toContain('<div class="math-display"><span class="katex-display">');
    expect(mdx("It costs $5 and $6.").html).toBe("<p>It costs $5 and $6.</p>");
    expect(mdx("It costs $5 and $6.", { math: true }).html).toContain("katex");
  });

  it("never runs TeX's links or HTML commands", () => {
    const { html } = mdx("$\\href{javascript:alert(1)}{x}\\htmlClass{admin}{y}$", { math: true });
    // Shown as the TeX it is (in red, as KaTeX shows what it refuses), never as a link or a class.
    expect(html).not.toMatch(/<a |href="|class="admin/);
    expect(html).toContain('<mtext>\\href</mtext>');
  });
});

describe("headings and anchors", () => {
  it("takes {#custom-id} as the heading's id, in Markdown and MDX", () => {
    for (const r of [md("## Set up {#setup-id}\n\n## Set up"), mdx("## Set up {#setup-id}\n\n## Set up")]) {
      expect(r.headings).toEqual([
        { id: "setup-id", text: "Set up", depth: 2 },
        { id: "set-up", text: "Set up", depth: 2 },
      ]);
      expect(r.html).toContain('<h2 id="setup-id">Set up</h2>');
    }
  });

  it("keeps <a name> and id anchors as targets, but never an id the app's page uses", () => {
    const r = mdx('<a name="battery-care"></a>\n\n<span id="root">x</span> <a id="main">y</a>\n\n## Battery care');
    expect(r.anchors).toEqual(["battery-care"]);
    expect(r.html).toContain('<a id="battery-care" name="battery-care"></a>');
    expect(r.html).not.toMatch(/id="(root|main)"/);
    // The heading does not take the anchor's id.
    expect(r.headings).toEqual([{ id: "battery-care-1", text: "Battery care", depth: 2 }]);
  });
});

describe("sanitising what the renderer lets through", () => {
  it("still drops an author's svg, inline styles and other roles; a placeholder only ever gives our own markup", () => {
    const r = md('<svg onload="alert(1)"><path d="M0"/></svg>\n\n<div role="button" style="color:red" class="tabs">x</div>\n\n<span data-math="0">\\href</span><span data-icon="evil"></span>');
    expect(r.html).toBe('<p></p>\n<div class="tabs">x</div>\n<p><span data-math="0">\\href</span><span></span></p>');
  });
});
