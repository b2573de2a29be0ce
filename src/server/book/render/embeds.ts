import type { Element, ElementContent, Root } from "hast";
import { visit } from "unist-util-visit";
import type { VFile } from "vfile";

/**
 * An embedded page, video or sound (`<iframe>`, `<video>`, `<audio>`, `<object>`) cannot play
 * here: the sanitiser lets no frame or media through, and a page must not choose what our site
 * frames. In its place, a note says what was there and points to the page on the book's own site
 * when the config gives its URL (as for components, components.ts). Alone in a paragraph, the
 * note takes the paragraph's place; in a sentence, it stays in the sentence.
 */
const EMBEDS: Record<string, string> = { iframe: "an embedded page", video: "a video", audio: "a recording", object: "an embedded object", embed: "an embedded object" };

const blank = (c: ElementContent) => c.type === "text" && !c.value.trim();

export function rehypeEmbeds() {
  return (tree: Root, file: VFile) => {
    const siteUrl = file.data.book?.siteUrl ?? null;
    visit(tree, "element", (node, index, parent) => {
      const what = EMBEDS[node.tagName];
      if (!what || !parent || index === undefined) return;
      const title = typeof node.properties.title === "string" && node.properties.title.trim() ? node.properties.title.trim() : undefined;
      const label = title ? `${what}, “${title}”,` : what;
      const words: ElementContent[] = siteUrl
        ? [{ type: "text", value: `Here the book shows ${label} that this reader cannot show: ` }, { type: "element", tagName: "a", properties: { href: siteUrl }, children: [{ type: "text", value: "open this page on the book's site" }] }, { type: "text", value: "." }]
        : [{ type: "text", value: `Here the book shows ${label} that this reader cannot show; it is on the book's own site.` }];
      const alone = parent.type === "element" && parent.tagName === "p" && parent.children.every((c) => c === node || blank(c));
      if (alone) {
        const p = parent as Element;
        p.tagName = "div";
        p.properties = { className: ["component-note"], role: "note" };
        p.children = [{ type: "element", tagName: "p", properties: {}, children: words }];
        return;
      }
      const inline = parent.type === "element" && parent.tagName === "p";
      parent.children[index] = inline
        ? { type: "element", tagName: "span", properties: { className: ["component-note"], role: "note" }, children: words }
        : { type: "element", tagName: "div", properties: { className: ["component-note"], role: "note" }, children: [{ type: "element", tagName: "p", properties: {}, children: words }] };
    });
  };
}
