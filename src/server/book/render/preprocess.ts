/**
 * What Docusaurus's MDX loader does to a page's text before MDX reads it (its "MDX 1 compatibility"
 * steps, on by default), so a page parses here as it does on its own site:
 *
 * - a ```` ```mdx-code-block ```` fence is unwrapped: its content is MDX, not code;
 * - `## Heading {#custom-id}` has its `{` escaped, so MDX reads an id, not a JavaScript expression;
 * - `:::note Some title` becomes `:::note[Some title]`, the label syntax of remark-directive.
 *
 * These are line rewrites, as Docusaurus's own are; the parsing itself is remark's.
 */

const MDX_CODE_BLOCK = [3, 4].map(
  (n) => new RegExp(`(^|\\n)( *)${"`".repeat(n)} *mdx-code-block\\n(.*?)\\n *${"`".repeat(n)}(\\n|$)`, "gs"),
);

/** ```` ```mdx-code-block ```` fences (three or four backticks) → their content. */
export function unwrapMdxCodeBlocks(text: string): string {
  return MDX_CODE_BLOCK.reduce((out, re) => out.replace(re, (_m, begin: string, _indent: string, body: string, end: string) => `${begin}${body}${end}`), text);
}

/** `## Title {#id}` → `## Title \{#id}` (MDX only: in Markdown the braces are text already). */
export function escapeHeadingIds(text: string): string {
  return text.replace(/(^|\n)(#{1,6}(?!#).*)/g, (_m, begin: string, line: string) => begin + line.replace(/(?<!\\)\{#/, "\\{#"));
}

/**
 * The admonition keywords Docusaurus knows; `secondary`, `important` and `success` are its older
 * names, kept as it keeps them.
 */
export const ADMONITION_KEYWORDS = ["note", "tip", "info", "warning", "danger", "caution", "secondary", "important", "success"] as const;

const TITLE_LINE = new RegExp(`^((?:> ?)*)( +|\\t+)?(:{3,}(?:${ADMONITION_KEYWORDS.join("|")})) +(.*)$`, "gm");

/** `:::tip Watch out` → `:::tip[Watch out]`, also inside block quotes and indented lists. */
export function admonitionTitleToLabel(text: string): string {
  return text.replace(TITLE_LINE, (_m, quote: string, indent: string | undefined, fence: string, title: string) => {
    const t = title.trim();
    // Already a label or attributes (`:::note[x]`, `:::note{title="x"}`): left as written.
    if (/^[[{]/.test(t) || !t) return `${quote}${indent ?? ""}${fence}${t ? t : ""}`;
    return `${quote}${indent ?? ""}${fence}[${t.replace(/[[\]]/g, "\\$&")}]`;
  });
}

export function preprocess(text: string, format: "md" | "mdx"): string {
  let out = unwrapMdxCodeBlocks(text);
  if (format === "mdx") out = escapeHeadingIds(out);
  return admonitionTitleToLabel(out);
}
