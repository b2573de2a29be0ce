import { Fragment, useEffect, useState, type ReactNode } from "react";
import { Lexer, type Token, type Tokens } from "marked";
import { Link } from "react-router";
import { citationHref, citationLabel } from "./citations.ts";
import type { Citation } from "./chat-api.ts";

/**
 * Answers are Markdown written by a model that has read whatever the reader typed, so they are
 * untrusted. marked only tokenises here; every token becomes a React element or plain text, so
 * nothing is ever parsed as HTML: raw HTML (`<script>`, `<img onerror>`) shows as the text it is.
 * Allowed: paragraphs, headings (shown as strong text), lists, emphasis, code, blockquotes, tables,
 * rules, and links to http(s) or to this site's /read/ pages. Images show their alt text.
 * `[n]` markers link to the answer's n-th citation once it is known.
 */
export function Markdown({ text, citations = [] }: { text: string; citations?: Citation[] }) {
  let tokens: Token[];
  try {
    tokens = Lexer.lex(text, { gfm: true, breaks: true });
  } catch {
    return <p className="md-plain">{text}</p>;
  }
  return <>{blocks(tokens, citations)}</>;
}

const ENTITY: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** The lexer keeps character references as written; show them as the characters they name. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (m, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
    }
    return ENTITY[name.toLowerCase()] ?? m;
  });
}

/** An href we are willing to render: absolute http(s), or a path on this site under /read/. */
export function safeHref(href: string): { kind: "internal" | "external"; href: string } | null {
  const h = decodeEntities(href).trim();
  if (/^\/read\/[^/\\]/.test(h) && !/[\u0000-\u001f\s]/.test(h)) return { kind: "internal", href: h };
  try {
    const u = new URL(h);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.hostname) {
      if (u.origin === window.location.origin && u.pathname.startsWith("/read/")) return { kind: "internal", href: u.pathname + u.search + u.hash };
      return { kind: "external", href: u.href };
    }
  } catch {
    /* not a URL */
  }
  return null;
}

function blocks(tokens: Token[], citations: Citation[]): ReactNode[] {
  return tokens.map((t, i) => block(t, i, citations));
}

function block(token: Token, key: number, citations: Citation[]): ReactNode {
  const t = token as Tokens.Generic;
  switch (t.type) {
    case "space":
    case "def":
      return null;
    case "paragraph":
      return <p key={key}>{inline(t.tokens ?? [], citations)}</p>;
    case "heading":
      // Headings inside a chat bubble would break the page's outline: strong text instead.
      return (
        <p key={key} className="md-heading">
          <strong>{inline(t.tokens ?? [], citations)}</strong>
        </p>
      );
    case "list": {
      const list = token as Tokens.List;
      const items = list.items.map((item, j) => (
        <li key={j}>{item.tokens.map((c, k) => (c.type === "text" ? <Fragment key={k}>{inline((c as Tokens.Text).tokens ?? [c], citations)}</Fragment> : block(c, k, citations)))}</li>
      ));
      return list.ordered ? (
        <ol key={key} start={typeof list.start === "number" && list.start !== 1 ? list.start : undefined}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case "blockquote":
      return <blockquote key={key}>{blocks(t.tokens ?? [], citations)}</blockquote>;
    case "code": {
      // Verbatim, lines kept, its language shown (issue 14, item 7): the info string's first word.
      const language = /^[\w+#.-]{1,30}/.exec(String(t.lang ?? "").trim())?.[0];
      const pre = (
        <pre key={language ? undefined : key} tabIndex={0} data-language={language}>
          <code className={language ? `language-${language}` : undefined}>{language ? <CodeText code={String(t.text ?? "")} language={language} /> : String(t.text ?? "")}</code>
        </pre>
      );
      return language ? (
        <div key={key} className="md-code">
          <span className="md-code-lang">{language}</span>
          {pre}
        </div>
      ) : (
        pre
      );
    }
    case "hr":
      return <hr key={key} />;
    case "table": {
      const table = token as Tokens.Table;
      return (
        <div key={key} className="md-table" tabIndex={0}>
          <table>
            <thead>
              <tr>
                {table.header.map((c, j) => (
                  <th key={j} scope="col">
                    {inline(c.tokens, citations)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {table.rows.map((row, j) => (
                <tr key={j}>
                  {row.map((c, k) => (
                    <td key={k}>{inline(c.tokens, citations)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case "html":
      // Raw HTML is shown as text, never parsed.
      return (
        <p key={key} className="md-plain">
          {String(t.text ?? t.raw ?? "")}
        </p>
      );
    case "text":
      return <p key={key}>{t.tokens ? inline(t.tokens, citations) : withCitations(decodeEntities(String(t.text ?? "")), citations, key)}</p>;
    default:
      return t.raw ? (
        <p key={key} className="md-plain">
          {t.raw}
        </p>
      ) : null;
  }
}

function inline(tokens: Token[], citations: Citation[]): ReactNode[] {
  return tokens.map((token, key) => {
    const t = token as Tokens.Generic;
    switch (t.type) {
      case "text":
        return t.tokens ? <Fragment key={key}>{inline(t.tokens, citations)}</Fragment> : withCitations(decodeEntities(String(t.text ?? "")), citations, key);
      case "escape":
        return <Fragment key={key}>{String(t.text ?? "")}</Fragment>;
      case "strong":
        return <strong key={key}>{inline(t.tokens ?? [], citations)}</strong>;
      case "em":
        return <em key={key}>{inline(t.tokens ?? [], citations)}</em>;
      case "del":
        return <del key={key}>{inline(t.tokens ?? [], citations)}</del>;
      case "codespan":
        return <code key={key}>{decodeEntities(String(t.text ?? ""))}</code>;
      case "br":
        return <br key={key} />;
      case "link": {
        const link = token as Tokens.Link;
        const target = safeHref(link.href);
        const children = inline(link.tokens, citations);
        if (!target) return <Fragment key={key}>{children}</Fragment>;
        return target.kind === "internal" ? (
          <Link key={key} to={target.href}>
            {children}
          </Link>
        ) : (
          <a key={key} href={target.href} target="_blank" rel="noopener noreferrer nofollow ugc">
            {children}
            <span className="visually-hidden"> (opens in a new tab)</span>
          </a>
        );
      }
      case "image":
        return <Fragment key={key}>{decodeEntities(String(t.text ?? ""))}</Fragment>;
      case "html":
        return <Fragment key={key}>{String(t.text ?? t.raw ?? "")}</Fragment>;
      default:
        return <Fragment key={key}>{String(t.raw ?? "")}</Fragment>;
    }
  });
}

/** "… balance [1]." with the marker as a link to citation 1 (when the answer has one). */
function withCitations(text: string, citations: Citation[], key: number): ReactNode {
  if (citations.length === 0 || !/\[\d{1,2}\]/.test(text)) return <Fragment key={key}>{text}</Fragment>;
  const parts = text.split(/(\[\d{1,2}\])/);
  return (
    <Fragment key={key}>
      {parts.map((part, i) => {
        const m = /^\[(\d{1,2})\]$/.exec(part);
        const c = m ? citations[Number(m[1]) - 1] : undefined;
        if (!c) return part;
        return (
          <Link key={i} to={citationHref(c)} className="cite-marker" aria-label={`Source ${m![1]}: ${citationLabel(c)}`}>
            [{m![1]}]
          </Link>
        );
      })}
    </Fragment>
  );
}

/** The code as text at once, coloured when the highlighter (a lazy chunk, chat/highlight.ts) has loaded. */
function CodeText({ code, language }: { code: string; language: string }) {
  const [coloured, setColoured] = useState<{ code: string; node: ReactNode } | null>(null);
  useEffect(() => {
    let live = true;
    import("./highlight.ts")
      .then(({ highlightCode }) => {
        const node = highlightCode(code, language);
        if (live && node) setColoured({ code, node });
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, [code, language]);
  return <>{coloured?.code === code ? coloured.node : code}</>;
}
