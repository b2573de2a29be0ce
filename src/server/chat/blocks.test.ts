import { describe, expect, it } from "vitest";
import { blocksOf, blocksToMarkdown, blocksToPlainText, htmlSections, markdownWithin } from "./blocks.ts";

/** Code as book/render/code.ts writes it: Prism token spans, one span per line, a title. */
const PYTHON = `<figure class="code-block" data-code-block><figcaption class="code-title">balance.py</figcaption><pre class="language-python" data-language="python" data-line-numbers><code class="language-python"><span class="code-line" data-line="1"><span class="token keyword">class</span> <span class="token class-name">Balancer</span><span class="token punctuation">:</span>
</span><span class="code-line highlighted" data-line="2">    <span class="token keyword">def</span> <span class="token function">__init__</span><span class="token punctuation">(</span>self<span class="token punctuation">,</span> gain<span class="token punctuation">)</span><span class="token punctuation">:</span>
</span><span class="code-line" data-line="3">        self<span class="token punctuation">.</span>gain <span class="token operator">=</span> gain <span class="token keyword">if</span> gain <span class="token operator">&lt;</span> <span class="token number">2</span> <span class="token keyword">else</span> <span class="token number">2</span>
</span></code></pre></figure>`;

const ADMONITION = `<aside class="admonition admonition-tip" data-admonition="tip" role="note"><p class="admonition-title"><svg class="admonition-icon" aria-hidden="true"><path d="M9 18h6"/></svg><span class="visually-hidden">Tip: </span>Charge first</p><div class="admonition-content"><p>Plug the robot in <em>before</em> you start.</p><h3 id="inside">Inside</h3><p>Still the tip.</p></div></aside>`;

const KATEX = `<p>It waters for <span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>t</mi></mrow><annotation encoding="application/x-tex">t</annotation></semantics></math></span><span class="katex-html" aria-hidden="true"><span class="mord mathnormal">t</span></span></span> seconds.</p>`;

const MERMAID = `<div class="mermaid-diagram" data-mermaid><pre class="mermaid-source"><code class="language-mermaid">graph LR
  Sensor --&gt; Controller</code></pre></div>`;

const TABLE = `<table><thead><tr><th>Joint</th><th>Range</th></tr></thead><tbody><tr><td>Knee</td><td>0–150°</td></tr><tr><td>Hip</td><td><code>__init__</code> pose</td></tr></tbody></table>`;

describe("blocksOf", () => {
  it("keeps code as code: its language, title and lines, token spans removed, entities decoded", () => {
    expect(blocksOf(PYTHON)).toEqual([
      { type: "code", language: "python", title: "balance.py", code: "class Balancer:\n    def __init__(self, gain):\n        self.gain = gain if gain < 2 else 2" },
    ]);
    expect(blocksToMarkdown(blocksOf(PYTHON))).toBe("```python\nclass Balancer:\n    def __init__(self, gain):\n        self.gain = gain if gain < 2 else 2\n```");
  });

  it("reads a table as one block, a row a line, and inline code as a code span (`__init__` is no emphasis)", () => {
    expect(blocksOf(TABLE)).toEqual([{ type: "prose", text: "Joint; Range.\nKnee; 0–150°.\nHip; `__init__` pose." }]);
    expect(blocksToPlainText(blocksOf(TABLE))).toContain("Hip; __init__ pose.");
  });

  it("reads an admonition whole, its title leading, its icon and hidden label left out", () => {
    expect(blocksOf(ADMONITION)).toEqual([
      { type: "prose", text: "Charge first: Plug the robot in before you start." },
      { type: "prose", text: "Inside" },
      { type: "prose", text: "Still the tip." },
    ]);
  });

  it("reads a formula once, as its TeX, and leaves a diagram's source and our component notes out", () => {
    // Regression: KaTeX's MathML and HTML both became text ("t t"), and mermaid source read as prose.
    expect(blocksOf(KATEX)).toEqual([{ type: "prose", text: "It waters for $t$ seconds." }]);
    expect(blocksOf(MERMAID)).toEqual([]);
    expect(blocksOf(`<div class="component-note" role="note"><p>Here the book shows an interactive part</p></div><p>Text.</p>`)).toEqual([{ type: "prose", text: "Text." }]);
  });

  it("separates list items and paragraphs, and joins inline markup without breaking words", () => {
    expect(blocksOf("<ul><li>one</li><li>t<em>w</em>o<ul><li>nested</li></ul></li></ul><p>three<br>four</p>")).toEqual([
      { type: "prose", text: "one" },
      { type: "prose", text: "two" },
      { type: "prose", text: "nested" },
      { type: "prose", text: "three four" },
    ]);
  });
});

describe("htmlSections", () => {
  it("cuts at top-level h2/h3 with ids only: never inside an admonition, and a table, a code block, an admonition stay whole", () => {
    const sections = htmlSections(`<h1>T</h1><p>Intro.</p><h2 id="code">Code</h2>${PYTHON}${TABLE}${ADMONITION}<h2 id="next">Next</h2><p>After.</p>`);
    expect(sections.map((s) => [s.id, s.title])).toEqual([
      [null, null],
      ["code", "Code"],
      ["next", "Next"],
    ]);
    const md = blocksToMarkdown(sections[1]!.blocks);
    expect(md).toContain("```python\nclass Balancer:\n    def __init__(self, gain):\n");
    expect(md).toContain("Joint; Range.\nKnee; 0–150°.\nHip; `__init__` pose.");
    expect(md).toContain("Charge first: Plug the robot in before you start.\nInside\nStill the tip.");
  });
});

describe("markdownWithin", () => {
  it("takes whole blocks within the budget, never half a fence", () => {
    const blocks = [{ type: "prose" as const, text: "A short lead." }, ...blocksOf(PYTHON), { type: "prose" as const, text: "After." }];
    expect(markdownWithin(blocks, 40)).toBe("A short lead.");
    expect(markdownWithin(blocks, 500)).toBe(blocksToMarkdown(blocks));
    // A first block longer than the budget is cut at a line, its fence closed.
    const cut = markdownWithin(blocksOf(PYTHON), 60);
    expect(cut).toBe("```python\nclass Balancer:\n    def __init__(self, gain):\n```");
  });
});
