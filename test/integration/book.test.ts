/**
 * The book and the web app through the whole server: /api/v1/book, /book-assets/*, the social
 * providers list, and the built React app with its client-side-route fallback. Path traversal
 * is tried in every spelling, in-process and over a real socket (where the path is not
 * normalised by a URL parser first); it must end in a 404, never in a file's contents (CWE-22).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestInstance, type TestInstance, type TestResponse } from "../support/instance.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";
const HTML = { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } };
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5a1a3a50000000049454e44ae426082", "hex");

function writeTree(root: string, files: Record<string, string | Buffer>) {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
}

/** What a leaked file would contain: our package.json, /etc/passwd, a chapter's source. */
function expectNoLeak(res: TestResponse | { status: number; text: string }) {
  expect(res.text).not.toContain('"name": "ai-book"');
  expect(res.text).not.toContain("root:x:0:0");
  expect(res.text).not.toContain("SECRET-CHAPTER-SOURCE");
}

let tmp: string;
let bookDir: string;
let distDir: string;
let t: TestInstance;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "aibook-booktest-"));
  bookDir = path.join(tmp, "book");
  distDir = path.join(tmp, "dist");
  writeTree(bookDir, {
    "book.json": JSON.stringify({ title: "Test Book", description: "For tests." }),
    "01-first.md": "---\ntitle: First\ndescription: The first one.\n---\n\n## Hello world\n\nSee [the next one](02-xss.md#x) and ![d](images/diagram.svg).\n\n<!-- SECRET-CHAPTER-SOURCE -->\n",
    "02-xss.md": "# XSS\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n",
    "03-last.md": "# Last\n\nThe end.\n",
    "images/diagram.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><circle r="5"/></svg>',
    "images/photo.png": PNG,
    "images/.hidden.png": PNG,
    "notes.txt": "SECRET-CHAPTER-SOURCE",
  });
  symlinkSync(path.join(ROOT, "package.json"), path.join(bookDir, "images", "escape.png"));
  writeTree(distDir, {
    "index.html": '<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/app-abc123.js"></script><!-- SPA-INDEX --></body></html>',
    "assets/app-abc123.js": "console.log('app')",
    "robots.txt": "User-agent: *\n",
    ".build-stamp": "2025-01-01T00:00:00.000Z\n",
  });
  t = await createTestInstance("sqlite", { BOOK_DIR: bookDir, WEB_DIST_DIR: distDir });
});

afterAll(async () => {
  await t?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("GET /api/v1/book", () => {
  it("lists the chapters in reading order with the book's title, and as flat contents", async () => {
    const res = await t.client().get("/api/v1/book");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      title: "Test Book",
      tagline: null,
      description: "For tests.",
      chapters: [
        { slug: "first", title: "First", order: 1, description: "The first one." },
        { slug: "xss", title: "XSS", order: 2, description: null },
        { slug: "last", title: "Last", order: 3, description: null },
      ],
      contents: [
        { type: "doc", label: "First", slug: "first" },
        { type: "doc", label: "XSS", slug: "xss" },
        { type: "doc", label: "Last", slug: "last" },
      ],
    });
  });

  it("is public and rate limited like the rest of /api/v1", async () => {
    const res = await t.client().get("/api/v1/book");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("GET /api/v1/book/chapters/:slug", () => {
  it("returns the rendered chapter with headings and its neighbours", async () => {
    const res = await t.client().get("/api/v1/book/chapters/first");
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(["description", "heading", "headings", "html", "kind", "next", "prev", "slug", "title"]);
    expect(res.json).toMatchObject({
      slug: "first",
      title: "First",
      heading: "First",
      kind: "doc",
      description: "The first one.",
      headings: [{ id: "hello-world", text: "Hello world", depth: 2 }],
      prev: null,
      next: { slug: "xss", title: "XSS" },
    });
    expect(res.json.html).toContain('<h2 id="hello-world">Hello world</h2>');
    expect(res.json.html).toContain('<a href="/read/xss#x">the next one</a>');
    expect(res.json.html).toContain('src="/book-assets/images/diagram.svg"');
    expect(res.json.html).not.toContain("SECRET-CHAPTER-SOURCE"); // HTML comments are dropped
    const last = await t.client().get("/api/v1/book/chapters/last");
    expect(last.json).toMatchObject({ prev: { slug: "xss", title: "XSS" }, next: null });
  });

  it("serves a chapter full of XSS attempts inert", async () => {
    const res = await t.client().get("/api/v1/book/chapters/xss");
    expect(res.status).toBe(200);
    const html = res.json.html as string;
    expect(html).not.toMatch(/<script|onerror|javascript:|alert\(1\)/i);
    expect(html).toContain("<a>x</a>");
  });

  it("answers an unknown chapter with 404 CHAPTER_NOT_FOUND", async () => {
    const res = await t.client().get("/api/v1/book/chapters/no-such-chapter");
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ code: "CHAPTER_NOT_FOUND", message: expect.any(String) });
  });

  it.each([
    "..%2F..%2Fetc%2Fpasswd",
    "..%2F..%2Fpackage.json",
    "%2e%2e%2f%2e%2e%2fpackage.json",
    "..%5C..%5Cpackage.json",
    "%252e%252e%252fpackage.json",
    "First",
    "first.md",
    "-first",
    "a".repeat(101),
  ])("refuses the slug %s with a JSON 404", async (slug) => {
    const res = await t.client().get(`/api/v1/book/chapters/${slug}`);
    expect(res.status).toBe(404);
    expect(["CHAPTER_NOT_FOUND", "NOT_FOUND"]).toContain(res.json?.code);
    expectNoLeak(res);
  });
});

describe("GET /book-assets/*", () => {
  it("serves an SVG so that script in it cannot run", async () => {
    const res = await t.client().get("/book-assets/images/diagram.svg");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/svg+xml");
    expect(res.headers.get("content-security-policy")).toBe(SVG_CSP);
    expect(res.headers.get("content-disposition")).toBe("inline");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
  });

  it("serves images with their type, and 304 when unchanged", async () => {
    const c = t.client();
    const res = await c.get("/book-assets/images/photo.png");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600");
    const again = await c.get("/book-assets/images/photo.png", { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);
    expect(again.headers.get("content-security-policy")).toBe(SVG_CSP);
  });

  it.each([
    "/book-assets/../../package.json",
    "/book-assets/..%2F..%2Fpackage.json",
    "/book-assets/%2e%2e/%2e%2e/package.json",
    "/book-assets/images/..%2F..%2F..%2F..%2Fpackage.json",
    "/book-assets/%252e%252e/%252e%252e/package.json",
    "/book-assets/..%5C..%5Cpackage.json",
    "/book-assets/images%2F..%2F01-first.md",
    "/book-assets/%2Fetc%2Fpasswd",
    "/book-assets/images/escape.png",
    "/book-assets/images/.hidden.png",
    "/book-assets/01-first.md",
    "/book-assets/notes.txt",
    "/book-assets/book.json",
    "/book-assets/images/missing.png",
    "/book-assets/images/photo.png%00.md",
    "/book-assets/%E0%A4%A",
  ])("never serves %s", async (url) => {
    for (const opts of [{}, HTML]) {
      const res = await t.client().get(url, opts);
      expect([404, 200]).toContain(res.status);
      if (res.status === 200) expect(res.text).toContain("SPA-INDEX"); // only ever the app's index.html
      else expect(res.json?.code).toMatch(/NOT_FOUND$/);
      expectNoLeak(res);
    }
  });

  it("never serves a file outside the book over a real socket, where the path arrives unnormalised", async () => {
    const server = serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const { port } = server.address() as AddressInfo;
    const raw = (p: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: p, method: "GET" }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on("error", reject);
        req.end();
      });
    try {
      for (const p of [
        "/book-assets/../../package.json",
        "/book-assets/../01-first.md",
        "/book-assets/images/../../../../../../etc/passwd",
        "/book-assets/..\\..\\package.json",
        "/book-assets/images/..%2f..%2f..%2fpackage.json",
        "/api/v1/book/chapters/../../../package.json",
      ]) {
        const res = await raw(p);
        expect([400, 404], p).toContain(res.status); // the node adapter refuses some raw paths itself
        expectNoLeak(res);
      }
      expect((await raw("/book-assets/images/photo.png")).status).toBe(200);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("GET /api/v1/auth/providers", () => {
  it("lists no provider when none is configured", async () => {
    const res = await t.client().get("/api/v1/auth/providers");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ providers: [], passwordMinLength: 8 });
  });
});

describe("the web app", () => {
  it("serves index.html for the app's own pages, revalidated on every load", async () => {
    for (const url of ["/", "/read/first", "/account/settings"]) {
      const res = await t.client().get(url, HTML);
      expect(res.status, url).toBe(200);
      expect(res.text).toContain("SPA-INDEX");
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("cache-control")).toBe("no-cache");
    }
  });

  it("caches fingerprinted assets for a year", async () => {
    const res = await t.client().get("/assets/app-abc123.js");
    expect(res.status).toBe(200);
    expect(res.text).toBe("console.log('app')");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect((await t.client().get("/robots.txt")).headers.get("cache-control")).toBe("no-cache");
  });

  it("does not answer a missing asset or a dotfile with index.html", async () => {
    const missing = await t.client().get("/assets/gone-123.js", HTML);
    expect(missing.status).toBe(404);
    const stamp = await t.client().get("/.build-stamp");
    expect(stamp.status).toBe(404);
    expect(stamp.text).not.toContain("2025-01-01");
  });

  it("keeps API 404s JSON, even for a browser", async () => {
    for (const url of ["/api/v1/nope", "/api/nope", "/api/v1/book/nope"]) {
      const res = await t.client().get(url, HTML);
      expect(res.status, url).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(res.json.code).toBe("NOT_FOUND");
    }
    const post = await t.client().post("/read/first", {});
    expect(post.status).toBe(404);
  });
});

describe("with the sample book, GitHub sign-in, and no web build", () => {
  let u: TestInstance;
  beforeAll(async () => {
    u = await createTestInstance("sqlite", {
      BOOK_DIR: path.join(ROOT, "content/book"),
      WEB_DIST_DIR: path.join(tmp, "not-built"),
      GITHUB_CLIENT_ID: "gh-client-id",
      GITHUB_CLIENT_SECRET: "gh-client-secret",
      PASSWORD_MIN_LENGTH: "12",
    });
  });
  afterAll(async () => {
    await u?.close();
  });

  it("lists github among the providers, and the configured password minimum for the meter", async () => {
    const res = await u.client().get("/api/v1/auth/providers");
    expect(res.json).toEqual({ providers: ["github"], passwordMinLength: 12 });
  });

  it("serves the sample book with its diagram", async () => {
    const book = await u.client().get("/api/v1/book");
    expect(book.json.title).toBe("Physical AI and Humanoid Robots");
    expect(book.json.chapters).toHaveLength(4);
    const first = await u.client().get(`/api/v1/book/chapters/${book.json.chapters[0].slug}`);
    const src = /<img [^>]*src="([^"]+)"/.exec(first.json.html)?.[1];
    expect(src).toBe("/book-assets/images/perception-action-loop.svg");
    const svg = await u.client().get(src!);
    expect(svg.status).toBe(200);
    expect(svg.text).toBe(readFileSync(path.join(ROOT, "content/book/images/perception-action-loop.svg"), "utf8"));
  });

  it("explains how to build the web app when there is no build", async () => {
    const res = await u.client().get("/read/what-is-physical-ai", HTML);
    expect(res.status).toBe(503);
    expect(res.text).toContain("npm run build");
    const api = await u.client().get("/api/v1/nope", HTML);
    expect(api.status).toBe(404);
    expect(api.json.code).toBe("NOT_FOUND");
  });
});
