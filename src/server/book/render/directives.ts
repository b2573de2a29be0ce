import type { Paragraph, Root, RootContent, Text } from "mdast";
import type { ContainerDirective, LeafDirective, TextDirective } from "mdast-util-directive";
import { toString } from "mdast-util-to-string";
import { visit, SKIP } from "unist-util-visit";
import type { VFile } from "vfile";
import { ADMONITION_KEYWORDS } from "./preprocess.ts";

/**
 * Admonitions, as Docusaurus reads them with remark-directive: `:::note`, `:::tip[Title]`,
 * `:::info Note` (made a label by preprocess.ts), `{title="…"}`, nested with more colons. Each
 * becomes `<aside data-admonition="type">` with its label as a title paragraph; components.ts
 * gives it its role, icon and visible title.
 *
 * Anything else that remark-directive reads as a directive is text on a Docusaurus site (a time
 * such as `10:30`, `:smile:`-like words), so it goes back to the text as written; an unknown
 * `:::name` container keeps its content.
 */
export type AdmonitionType = "note" | "tip" | "info" | "warning" | "danger" | "caution";

const OLD_NAMES: Record<string, AdmonitionType> = { secondary: "note", important: "info", success: "tip" };

export function admonitionType(name: string): AdmonitionType | undefined {
  if (!(ADMONITION_KEYWORDS as readonly string[]).includes(name)) return undefined;
  return OLD_NAMES[name] ?? (name as AdmonitionType);
}

type Directive = ContainerDirective | LeafDirective | TextDirective;

export function remarkAdmonitions() {
  return (tree: Root, file: VFile) => {
    const source = String(file.value);
    visit(tree, (node, index, parent) => {
      if (node.type !== "containerDirective" && node.type !== "leafDirective" && node.type !== "textDirective") return;
      const directive = node as Directive;
      const type = directive.type === "containerDirective" ? admonitionType(directive.name) : undefined;
      if (directive.type === "containerDirective" && type) {
        const [first, ...rest] = directive.children;
        const labelled = first?.type === "paragraph" && (first.data as { directiveLabel?: boolean } | undefined)?.directiveLabel === true;
        const title = directive.attributes?.title ?? undefined;
        let titleNode: Paragraph | undefined = labelled ? (first as Paragraph) : undefined;
        if (title && !titleNode) titleNode = { type: "paragraph", children: [{ type: "text", value: title }] };
        if (titleNode && !toString(titleNode).trim()) titleNode = undefined;
        if (titleNode) titleNode.data = { hName: "p", hProperties: { dataAdmonitionTitle: "" } };
        directive.children = titleNode ? [titleNode, ...(labelled ? rest : directive.children)] : labelled ? rest : directive.children;
        directive.data = { hName: "aside", hProperties: { dataAdmonition: type } };
        return;
      }
      if (directive.type === "containerDirective") {
        // Not an admonition: its content, without the fence.
        const labelled = (directive.children[0]?.data as { directiveLabel?: boolean } | undefined)?.directiveLabel === true;
        if (labelled) directive.children = directive.children.slice(1);
        directive.data = { hName: "div" };
        return;
      }
      if (!parent || index === undefined) return;
      // `:name[label]{attrs}` as it was written: text on the author's site, text here.
      const start = directive.position?.start.offset;
      const end = directive.position?.end.offset;
      const value = start !== undefined && end !== undefined ? source.slice(start, end) : `:${directive.name}`;
      const text: Text = { type: "text", value };
      const replacement: RootContent = directive.type === "leafDirective" ? { type: "paragraph", children: [text] } : text;
      (parent.children as RootContent[]).splice(index, 1, replacement);
      return [SKIP, index + 1];
    });
  };
}
