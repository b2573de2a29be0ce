import { describe, expect, it } from "vitest";
import { composeAnswer, definingSentences, MAX_PROSE_CHARS } from "./embedded-answer.ts";
import { createEmbeddedProvider, NOT_IN_BOOK } from "./providers.ts";
import { sectionsOf, type Passage } from "./retrieval.ts";

/** Prism output as book/render/code.ts writes it. */
const code = (language: string, lines: string[]) =>
  `<div class="code-block" data-code-block><pre class="language-${language}" data-language="${language}"><code class="language-${language}">${lines
    .map((l) => `<span class="code-line">${l.replace(/\b(def|class|return)\b/g, '<span class="token keyword">$1</span>')}\n</span>`)
    .join("")}</code></pre></div>`;

const CONTROLLER = [
  "class ZmpController:",
  "    def __init__(self, gain):",
  "        self.gain = gain",
  "    def step(self, zmp, polygon):",
  "        return self.gain * polygon.distance(zmp)",
];

/**
 * A code-heavy section like the one that got an 11,000-character answer: the defining sentence
 * comes after a long listing, among many code blocks.
 */
const CHAPTER = {
  slug: "balance",
  title: "Balance",
  html:
    `<h2 id="zmp">The zero moment point</h2>` +
    code("python", Array.from({ length: 40 }, (_, i) => `x_${i} = solve(model, step=${i})  # ${"long comment ".repeat(4)}`)) +
    `<p>Walking robots are planned step by step.</p>` +
    `<p>The zero moment point (ZMP) is the point on the ground where the ground reaction forces produce no tipping moment. A robot stays upright while its zero moment point remains inside the support polygon.</p>` +
    code("python", CONTROLLER) +
    Array.from({ length: 12 }, (_, i) => code("cpp", [`int zmp_${i}(int x) {`, `  return x * ${i};`, "}"])).join("") +
    `<h2 id="feet">Feet</h2><p>The feet of a humanoid carry force sensors that measure the zero moment point.</p>`,
};

const passages: Passage[] = sectionsOf(CHAPTER).map((s, i) => ({ ...s, score: 10 - i }));
const fences = (answer: string) => answer.match(/^```/gm)?.length ?? 0;

describe("composeAnswer on a code-heavy section", () => {
  it("leads with the defining sentence, quotes no code when none is asked for, and stays short", () => {
    const answer = composeAnswer("What is the Zero Moment Point?", passages);
    expect(answer.startsWith("The zero moment point (ZMP) is the point on the ground")).toBe(true);
    expect(answer).toContain("[1]");
    expect(answer).toMatch(/More in: \[2\] Feet \(Balance\)\.$/);
    expect(answer.length).toBeLessThan(MAX_PROSE_CHARS + 100);
  });

  it("quotes one code block, fenced with its language and its lines, after the prose, for a how-to question", () => {
    const answer = composeAnswer("How do I write a ZMP controller class?", passages);
    const prose = answer.slice(0, answer.indexOf("```"));
    expect(prose).toMatch(/zero moment point/i);
    expect(prose.length).toBeLessThanOrEqual(MAX_PROSE_CHARS + 100);
    expect(fences(answer)).toBe(2); // one block: its opening and closing fence
    expect(answer).toContain(`\`\`\`python\n${CONTROLLER.join("\n")}\n\`\`\``);
    // Regression: code flattened into one line, and `__init__` shown as a bold "init".
    expect(answer).toContain("    def __init__(self, gain):\n");
    expect(answer.length).toBeLessThan(1200);
  });

  it("quotes code that is the section's whole point, and never more than its first lines", () => {
    const listing = sectionsOf({ slug: "l", title: "Listing", html: `<h2 id="all">Full listing</h2>${code("python", Array.from({ length: 80 }, (_, i) => `step_${i}()`))}` });
    const answer = composeAnswer("full listing", listing.map((s) => ({ ...s, score: 1 })));
    expect(answer.startsWith("The book shows it in “Full listing” [1]:\n\n```python\nstep_0()\nstep_1()\n")).toBe(true);
    expect(fences(answer)).toBe(2);
    expect(answer).toContain("step_29()\n```\n(The first 30 of its 80 lines.)");
  });
});

describe("definingSentences", () => {
  const blocks = [
    { type: "prose" as const, text: "Humanoids are hard to build. A walking robot keeps its balance by keeping the zero moment point inside the support polygon." },
    { type: "prose" as const, text: "Short one." },
    { type: "prose" as const, text: "The support polygon is the area enclosed by the feet on the ground. The same routine for the older board, in C++:" },
  ];

  it("puts the sentence that defines the question's term among the first, in reading order", () => {
    expect(definingSentences(blocks, "What is the support polygon?")).toEqual([
      "A walking robot keeps its balance by keeping the zero moment point inside the support polygon.",
      "The support polygon is the area enclosed by the feet on the ground.",
    ]);
    expect(definingSentences(blocks, "What is the support polygon?", 80)).toEqual(["The support polygon is the area enclosed by the feet on the ground."]);
  });

  it("falls back to the first sentence, and never quotes a fragment or a line that introduces code", () => {
    expect(definingSentences(blocks, "quantum cryptography")).toEqual(["Humanoids are hard to build."]);
    expect(definingSentences(blocks, "short one older board routine").join(" ")).not.toMatch(/Short one|in C\+\+:/);
  });
});

describe("the embedded provider", () => {
  it("streams the composed answer in small pieces, and says the book does not say when nothing matched", async () => {
    const provider = createEmbeddedProvider();
    const read = async (p: Passage[]) => {
      const pieces: string[] = [];
      for await (const piece of provider.answer({ question: "How do I write a ZMP controller class?", history: [], passages: p, signal: new AbortController().signal })) pieces.push(piece);
      return pieces;
    };
    const pieces = await read(passages);
    expect(pieces.length).toBeGreaterThan(10);
    expect(pieces.join("")).toBe(composeAnswer("How do I write a ZMP controller class?", passages));
    expect(await read([])).toEqual([NOT_IN_BOOK]);
  });
});
