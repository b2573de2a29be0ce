import type { Expression, Node, Program } from "estree";

/**
 * The value of a JSX attribute or `{expression}` read from its syntax tree, never run: literals,
 * template strings without `${}`, arrays and plain objects of those (`values={[{label: 'A',
 * value: 'a'}]}`), and `require('./a.png')` / an imported file as its path. Anything else is
 * code that only the book's own site can run: NOT_STATIC.
 */
export const NOT_STATIC = Symbol("not static");

export type StaticValue = string | number | boolean | null | undefined | StaticValue[] | { [key: string]: StaticValue } | { file: string };

export interface StaticScope {
  /** Imported names and what they import: `img` → `./img/a.png`. */
  imports: ReadonlyMap<string, string>;
}

/** The one expression of an MDX `{…}` program, or undefined for a comment or several statements. */
export function programExpression(program: Program | undefined): Expression | undefined {
  const body = program?.body;
  if (!body || body.length !== 1) return undefined;
  const first = body[0]!;
  return first.type === "ExpressionStatement" ? first.expression : undefined;
}

function requiredFile(node: Node): string | undefined {
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier" && node.property.name === "default") return requiredFile(node.object);
  if (node.type !== "CallExpression" || node.callee.type !== "Identifier" || node.callee.name !== "require" || node.arguments.length !== 1) return undefined;
  const arg = node.arguments[0]!;
  return arg.type === "Literal" && typeof arg.value === "string" ? arg.value : undefined;
}

export function staticValue(node: Node | null | undefined, scope: StaticScope): StaticValue | typeof NOT_STATIC {
  if (!node) return NOT_STATIC;
  switch (node.type) {
    case "Literal":
      return typeof node.value === "string" || typeof node.value === "number" || typeof node.value === "boolean" || node.value === null ? node.value : NOT_STATIC;
    case "TemplateLiteral":
      return node.expressions.length === 0 ? node.quasis.map((q) => q.value.cooked ?? q.value.raw).join("") : NOT_STATIC;
    case "UnaryExpression":
      if (node.operator === "-" && node.argument.type === "Literal" && typeof node.argument.value === "number") return -node.argument.value;
      return NOT_STATIC;
    case "Identifier":
      if (node.name === "undefined") return undefined;
      return scope.imports.has(node.name) ? { file: scope.imports.get(node.name)! } : NOT_STATIC;
    case "ArrayExpression": {
      const out: StaticValue[] = [];
      for (const el of node.elements) {
        if (!el || el.type === "SpreadElement") return NOT_STATIC;
        const v = staticValue(el, scope);
        if (v === NOT_STATIC) return NOT_STATIC;
        out.push(v);
      }
      return out;
    }
    case "ObjectExpression": {
      const out: Record<string, StaticValue> = {};
      for (const p of node.properties) {
        if (p.type !== "Property" || p.computed || p.kind !== "init") return NOT_STATIC;
        const key = p.key.type === "Identifier" ? p.key.name : p.key.type === "Literal" ? String(p.key.value) : undefined;
        if (key === undefined) return NOT_STATIC;
        const v = staticValue(p.value, scope);
        if (v === NOT_STATIC) return NOT_STATIC;
        out[key] = v;
      }
      return out;
    }
    default: {
      const file = requiredFile(node);
      return file !== undefined ? { file } : NOT_STATIC;
    }
  }
}

/** A static value as attribute text: strings and numbers, a required or imported file's path. */
export function staticText(v: StaticValue | typeof NOT_STATIC): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  if (v && typeof v === "object" && !Array.isArray(v) && "file" in v && typeof v.file === "string") return siteFilePath(v.file);
  return undefined;
}

/** `@site/static/img/a.png` → `/img/a.png` (how the site serves it); other paths as written. */
export function siteFilePath(file: string): string {
  const m = /^@site\/(?:static\/)?(.*)$/.exec(file);
  if (!m) return file;
  return file.startsWith("@site/static/") ? `/${m[1]}` : `@site/${m[1]}`;
}
