import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown.tsx";

const render = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe("Markdown of an answer", () => {
  it("shows a fenced block verbatim: its lines, its language, `__init__` never as emphasis", () => {
    const html = render("The class keeps its gain [1]:\n\n```python\nclass Balancer:\n    def __init__(self, gain):\n        self.gain = gain if gain < 2 else 2\n```");
    expect(html).toContain(
      '<div class="md-code"><span class="md-code-lang">python</span><pre tabindex="0" data-language="python"><code class="language-python">class Balancer:\n    def __init__(self, gain):\n        self.gain = gain if gain &lt; 2 else 2</code></pre></div>',
    );
    expect(html).not.toContain("<strong>");
  });

  it("shows inline code verbatim, and a block without a language as plain code", () => {
    expect(render("Call `__init__` once.")).toBe("<p>Call <code>__init__</code> once.</p>");
    expect(render("```\na  b\n```")).toBe('<pre tabindex="0"><code>a  b</code></pre>');
    // An info string is no way to inject markup: only its first word, as text.
    expect(render('```py"><img src=x>\nx\n```')).toContain('<span class="md-code-lang">py</span>');
  });
});

describe("highlightCode", () => {
  it("colours code with the book's Prism token classes and keeps its text exactly", async () => {
    const { highlightCode } = await import("./highlight.ts");
    const code = 'def __init__(self):\n    return "<b>"';
    const html = renderToStaticMarkup(createElement("code", null, highlightCode(code, "python")));
    expect(html).toContain('<span class="token keyword">def</span>');
    expect(html).toContain('<span class="token function">__init__</span>');
    expect(html.replace(/<\/?(span|code)[^>]*>/g, "")).toBe('def __init__(self):\n    return &quot;&lt;b&gt;&quot;');
    expect(highlightCode(code, "robotscript")).toBeNull();
  });
});
