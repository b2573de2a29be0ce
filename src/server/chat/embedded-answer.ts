import { fenced, type Block } from "./blocks.ts";
import type { Passage } from "./retrieval.ts";

/**
 * The embedded answerer's answer (issue 14, item 7): the defining sentences of the best section
 * first, then at most one code block, quoted whole as fenced Markdown with its language, then the
 * other sections as cited references. Short: it used to quote every section, code flattened into
 * one line, in an 11,000-character wall that never said what the thing is.
 */
export const MAX_PROSE_CHARS = 600;
export const MAX_CODE_LINES = 30;

const STOP = new Set("a an and are as at be by can do does for from how i in is it of on or the this to what when where which who why will with you your about into than that them then there these they".split(" "));

export function terms(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu)?.filter((t) => t.length > 2 && !STOP.has(t)) ?? [];
}

const matches = (t: string, q: Set<string>) => q.has(t) || [...q].some((w) => w.length > 4 && t.startsWith(w.slice(0, 5)));

/** "X is", "X are", "X means", "called", "known as": a sentence that says what something is. */
const DEFINES = /\b(is|are|means|refers to|stands for)\b|\b(called|known as|defined as)\b/i;

/** The question asks for code: how to do something, an example, a command. */
const WANTS_CODE = /\b(code|example|snippet|command|commands|script|function|class|method|syntax|implement|write|install|run|configure|set ?up)\b|\bhow (do|can|to|would|should)\b/i;

/** The prose of a passage, sentence by sentence, in reading order. */
function sentencesOf(blocks: Block[]): string[] {
  return blocks
    .filter((b): b is Extract<Block, { type: "prose" }> => b.type === "prose")
    .flatMap((b) => b.text.split(/(?<=[.!?])\s+|\n+/))
    .map((s) => s.trim())
    // "…, in C++:" introduces a code block; without it, it says nothing.
    .filter((s) => s.length > 20 && !s.endsWith(":"));
}

/**
 * The sentences that best answer the question: those sharing its terms, a definition ("X is…")
 * of one of them first, within `maxChars`, in reading order.
 */
export function definingSentences(blocks: Block[], question: string, maxChars = MAX_PROSE_CHARS): string[] {
  const q = new Set(terms(question));
  const scored = sentencesOf(blocks).map((s, i) => {
    const words = terms(s);
    let score = words.filter((t) => matches(t, q)).length;
    const verb = DEFINES.exec(s);
    // A key term before "is"/"are"/"means" (or anywhere with "called") makes the sentence a definition.
    if (verb && score > 0 && (verb[2] || terms(s.slice(0, verb.index)).some((t) => matches(t, q)))) score += 2;
    return { s, i, score };
  });
  const ranked = scored.filter((x) => x.score > 0).sort((a, b) => b.score - a.score || a.i - b.i);
  const picked: typeof scored = [];
  let chars = 0;
  for (const x of ranked.length ? ranked : scored.slice(0, 1)) {
    if (picked.length >= 3) break;
    const s = x.s.length > maxChars ? `${x.s.slice(0, maxChars - 1).replace(/\s+\S*$/, "")}…` : x.s;
    if (picked.length && chars + s.length > maxChars) continue;
    picked.push({ ...x, s });
    chars += s.length + 1;
  }
  return picked.sort((a, b) => a.i - b.i).map((x) => x.s);
}

/** The one code block worth quoting: when the question asks for code, or the section's prose does not answer it. */
export function codeToQuote(blocks: Block[], question: string): Extract<Block, { type: "code" }> | null {
  const code = blocks.filter((b): b is Extract<Block, { type: "code" }> => b.type === "code");
  if (code.length === 0) return null;
  const q = new Set(terms(question));
  // Code is the section's point when its prose says nothing of the question (or there is none).
  const proseAnswers = sentencesOf(blocks).some((s) => terms(s).some((t) => matches(t, q)));
  if (!WANTS_CODE.test(question) && proseAnswers) return null;
  const score = (b: Extract<Block, { type: "code" }>) => terms(`${b.title ?? ""} ${b.code}`).filter((t) => matches(t, q)).length;
  // The block sharing most of the question's words; the first one on a tie (the book's own order).
  return code.reduce((best, b) => (score(b) > score(best) ? b : best), code[0]!);
}

function quoted(b: Extract<Block, { type: "code" }>): string {
  const lines = b.code.split("\n");
  if (lines.length <= MAX_CODE_LINES) return fenced(b);
  return `${fenced({ ...b, code: lines.slice(0, MAX_CODE_LINES).join("\n") })}\n(The first ${MAX_CODE_LINES} of its ${lines.length} lines.)`;
}

/** The answer's Markdown. The [n] markers refer to the answer's citations (the passages, in order). */
export function composeAnswer(question: string, passages: Passage[]): string {
  const [best, ...others] = passages;
  if (!best) return "";
  const sentences = definingSentences(best.blocks, question);
  const code = codeToQuote(best.blocks, question);
  const parts: string[] = [];
  if (sentences.length) parts.push(`${sentences.join(" ")} [1]`);
  if (code) parts.push(`${sentences.length ? "The book shows it" : `The book shows it in “${best.sectionTitle}”`}${code.title ? ` (${code.title})` : ""} [1]:\n\n${quoted(code)}`);
  if (!parts.length) parts.push(`See “${best.sectionTitle}” [1].`);
  if (others.length) parts.push(`More in: ${others.map((p, i) => `[${i + 2}] ${p.sectionTitle}${p.sectionTitle === p.chapterTitle ? "" : ` (${p.chapterTitle})`}`).join(", ")}.`);
  return parts.join("\n\n");
}
