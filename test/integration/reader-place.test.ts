/**
 * "The reader's place, kept" (issue 14, item 8): searching the book, reading progress and
 * bookmarks, for accounts and guests, on SQLite and PostgreSQL; and a guest's place joining their
 * account on every path the chat's merge covers (chat-anonymous.test.ts): sign-up and the
 * verification link, password sign-in, GitHub.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { purgeAbandonedAnonymous } from "../../src/server/chat/anonymous-purge.ts";
import { playGitHub, signInWithGitHub } from "../support/github.ts";
import { anonymousReader, createTestInstance, DB_KINDS, STRONG_PASSWORD, uniqueEmail, type DbKind, type TestClient, type TestInstance } from "../support/instance.ts";

/** A small book of our own: two chapters with sections, one with markup and a `<script>` written as text. */
function writeBook(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "aibook-place-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "01-balance.md"),
    `# Balance

Humanoids fall over more than people expect.

## The zero moment point

A walking robot stays upright while its **zero moment point** remains inside the support polygon formed by its feet.

## Falling safely

When balance is lost the robot tucks its arms and rolls, like a judoka.
`,
  );
  writeFileSync(
    path.join(dir, "02-actuators.md"),
    `# Actuators

## Electric motors

Electric motors with harmonic gearboxes drive most humanoid joints. Write \`<script>alert(1)</script>\` and nothing runs.

## Hydraulics

Hydraulic pistons give great force for their weight.
`,
  );
  return dir;
}

const put = (client: TestClient, url: string, body: unknown) => client.request("PUT", url, body);
const del = (client: TestClient, url: string) => client.request("DELETE", url);

/** The chapters' slugs and their section anchors, as the book serves them. */
async function sections(t: TestInstance) {
  const client = t.client();
  const book = await client.get("/api/v1/book");
  const out: Record<string, { slug: string; anchors: string[] }> = {};
  for (const c of book.json.chapters as { slug: string; title: string }[]) {
    const chapter = await client.get(`/api/v1/book/chapters/${encodeURIComponent(c.slug)}`);
    out[c.title] = { slug: c.slug, anchors: chapter.json.headings.map((h: { id: string }) => h.id) };
  }
  return out as Record<"Balance" | "Actuators", { slug: string; anchors: string[] }>;
}

async function placeOf(client: TestClient) {
  const progress = await client.get("/api/v1/me/progress");
  const bookmarks = await client.get("/api/v1/me/bookmarks");
  expect(progress.status, progress.text).toBe(200);
  expect(bookmarks.status, bookmarks.text).toBe(200);
  return { progress: progress.json.progress, bookmarks: bookmarks.json.bookmarks };
}

async function rowsOf(t: TestInstance, userId: string) {
  const db = t.services.db.kysely;
  const progress = await db.selectFrom("reading_progress").select("chapter_slug").where("user_id", "=", userId).execute();
  const bookmarks = await db.selectFrom("bookmark").select("id").where("user_id", "=", userId).execute();
  return { progress: progress.length, bookmarks: bookmarks.length };
}

describe.each(DB_KINDS)("the reader's place on %s", (kind: DbKind) => {
  let t: TestInstance;
  let book: Awaited<ReturnType<typeof sections>>;
  beforeAll(async () => {
    t = await createTestInstance(kind, { BOOK_DIR: writeBook(), GITHUB_CLIENT_ID: "gh-client-id", GITHUB_CLIENT_SECRET: "gh-client-secret" });
    book = await sections(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe("search", () => {
    it("finds a section by its words, best first, with the matched words' offsets in a plain-text snippet", async () => {
      const res = await t.client().get("/api/v1/book/search?q=zero%20moment");
      expect(res.status, res.text).toBe(200);
      const [first] = res.json.results;
      expect(first).toMatchObject({ chapterSlug: book.Balance.slug, chapterTitle: "Balance", sectionTitle: "The zero moment point" });
      expect(first.url).toBe(`/read/${book.Balance.slug}#${first.sectionId}`);
      expect(book.Balance.anchors).toContain(first.sectionId);
      const marked = first.highlights.map(([a, b]: [number, number]) => first.snippet.slice(a, b).toLowerCase());
      expect(marked).toEqual(expect.arrayContaining(["zero", "moment"]));
      expect(first.snippet).not.toMatch(/<strong>|\*\*/);
    });

    it("matches as you type (prefix) and forgives a typo in a longer word", async () => {
      const prefix = await t.client().get("/api/v1/book/search?q=hydrau");
      expect(prefix.json.results[0]).toMatchObject({ sectionTitle: "Hydraulics" });
      const typo = await t.client().get("/api/v1/book/search?q=gearboxs");
      expect(typo.json.results[0]).toMatchObject({ sectionTitle: "Electric motors" });
    });

    it("finds chapter titles and headings", async () => {
      const res = await t.client().get("/api/v1/book/search?q=actuators");
      expect(res.json.results.map((r: { chapterTitle: string }) => r.chapterTitle)).toContain("Actuators");
    });

    it("returns the book's `<script>` as text in the snippet, for the web app to show as text; never the book's HTML", async () => {
      const res = await t.client().get("/api/v1/book/search?q=alert");
      const [first] = res.json.results;
      expect(first.snippet).toContain("<script>alert(1)</script>");
      expect(first.snippet).not.toContain("<code>");
    });

    it("answers nothing found with an empty list, and bad queries with 400 VALIDATION_FAILED", async () => {
      const none = await t.client().get("/api/v1/book/search?q=quantum%20chromodynamics");
      expect(none.status).toBe(200);
      expect(none.json.results).toEqual([]);
      for (const q of ["", "?q=", "?q=%20%20", `?q=${"a".repeat(201)}`, "?q=a&q=b"]) {
        const res = await t.client().get(`/api/v1/book/search${q}`);
        expect(res.status, q).toBe(400);
        expect(res.json.code).toBe("VALIDATION_FAILED");
      }
      const nul = await t.client().get("/api/v1/book/search?q=a%00b");
      expect(nul.status).toBe(400);
      expect(nul.json.code).toBe("INVALID_CHARACTERS");
    });

    it("is rate-limited per IP on top of the /api/v1 limit", async () => {
      const client = t.client();
      let last = 0;
      for (let i = 0; i < 125 && last !== 429; i++) last = (await client.get("/api/v1/book/search?q=robot")).status;
      expect(last).toBe(429);
    });
  });

  describe("progress", () => {
    it("needs a caller; keeps one row per chapter, the latest section, and a read chapter stays read", async () => {
      expect((await t.client().get("/api/v1/me/progress")).status).toBe(401);
      const { client } = await t.signedInUser();
      const [first, second] = book.Balance.anchors;
      const a = await put(client, `/api/v1/me/progress/${book.Balance.slug}`, { anchor: first, fraction: 0.3 });
      expect(a.status, a.text).toBe(200);
      expect(a.json).toMatchObject({ chapterSlug: book.Balance.slug, anchor: first, fraction: 0.3, completed: false });
      await put(client, `/api/v1/me/progress/${book.Balance.slug}`, { anchor: second, fraction: 1, completed: true });
      const back = await put(client, `/api/v1/me/progress/${book.Balance.slug}`, { anchor: first, fraction: 0.1 });
      expect(back.json).toMatchObject({ anchor: first, fraction: 0.1, completed: true });
      await put(client, `/api/v1/me/progress/${book.Actuators.slug}`, { fraction: 0.5 });
      const { progress } = await placeOf(client);
      expect(progress.map((p: { chapterSlug: string }) => p.chapterSlug)).toEqual([book.Actuators.slug, book.Balance.slug]);
      expect(progress[1]).toMatchObject({ completed: true, fraction: 0.1 });
    });

    it("a guest's progress is kept on the server too", async () => {
      const guest = await anonymousReader(t);
      expect((await put(guest.client, `/api/v1/me/progress/${book.Balance.slug}`, { fraction: 0.2 })).status).toBe(200);
      expect((await placeOf(guest.client)).progress).toHaveLength(1);
    });

    it("answers an unknown chapter 404, an unknown section and bad bodies 400, and writes nothing", async () => {
      const u = await t.signedInUser();
      const cases: [string, unknown, number, string][] = [
        ["no-such-chapter", { fraction: 0.5 }, 404, "CHAPTER_NOT_FOUND"],
        [book.Balance.slug, { anchor: "no-such-section", fraction: 0.5 }, 400, "SECTION_NOT_FOUND"],
        [book.Balance.slug, { fraction: 1.5 }, 400, "VALIDATION_FAILED"],
        [book.Balance.slug, { fraction: "half" }, 400, "VALIDATION_FAILED"],
        [book.Balance.slug, { fraction: 0.5, extra: 1 }, 400, "VALIDATION_FAILED"],
        [book.Balance.slug, { anchor: "a b", fraction: 0.5 }, 400, "VALIDATION_FAILED"],
        [book.Balance.slug, [], 400, "VALIDATION_FAILED"],
      ];
      for (const [slug, body, status, code] of cases) {
        const res = await put(u.client, `/api/v1/me/progress/${slug}`, body);
        expect([res.status, res.json?.code], JSON.stringify(body)).toEqual([status, code]);
      }
      const raw = await u.client.request("PUT", `/api/v1/me/progress/${book.Balance.slug}`, undefined, { raw: "{", headers: { "content-type": "application/json" } });
      expect([raw.status, raw.json.code]).toEqual([400, "INVALID_JSON"]);
      expect(await rowsOf(t, u.userId)).toEqual({ progress: 0, bookmarks: 0 });
    });
  });

  describe("bookmarks", () => {
    it("creates, lists, edits and deletes a bookmark; a second on the same section is the first", async () => {
      const { client } = await t.signedInUser();
      const anchor = book.Actuators.anchors[1]!;
      const made = await client.post("/api/v1/me/bookmarks", { chapterSlug: book.Actuators.slug, anchor, note: "Compare with motors" });
      expect(made.status, made.text).toBe(201);
      expect(made.json).toMatchObject({ chapterSlug: book.Actuators.slug, chapterTitle: "Actuators", anchor, sectionTitle: "Hydraulics", note: "Compare with motors", url: `/read/${book.Actuators.slug}#${anchor}` });
      const again = await client.post("/api/v1/me/bookmarks", { chapterSlug: book.Actuators.slug, anchor });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ id: made.json.id, note: "Compare with motors" });
      const top = await client.post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug });
      expect(top.json).toMatchObject({ anchor: null, sectionTitle: null, url: `/read/${book.Balance.slug}` });

      expect((await placeOf(client)).bookmarks.map((b: { id: string }) => b.id).sort()).toEqual([made.json.id, top.json.id].sort());
      const edited = await client.patch(`/api/v1/me/bookmarks/${made.json.id}`, { note: "Lighter than I thought" });
      expect(edited.json).toMatchObject({ id: made.json.id, note: "Lighter than I thought" });
      expect((await client.patch(`/api/v1/me/bookmarks/${made.json.id}`, { note: null })).json.note).toBeNull();
      expect((await del(client, `/api/v1/me/bookmarks/${made.json.id}`)).status).toBe(204);
      expect((await del(client, `/api/v1/me/bookmarks/${made.json.id}`)).status).toBe(404);
      expect((await placeOf(client)).bookmarks.map((b: { id: string }) => b.id)).toEqual([top.json.id]);
    });

    it("another reader's bookmark is 404 to read, edit or delete (ASVS 8.2.2)", async () => {
      const owner = await t.signedInUser();
      const other = await t.signedInUser();
      const mark = await owner.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug, note: "mine" });
      const patched = await other.client.patch(`/api/v1/me/bookmarks/${mark.json.id}`, { note: "yours now" });
      expect([patched.status, patched.json.code]).toEqual([404, "BOOKMARK_NOT_FOUND"]);
      expect((await del(other.client, `/api/v1/me/bookmarks/${mark.json.id}`)).status).toBe(404);
      expect((await placeOf(other.client)).bookmarks).toEqual([]);
      expect((await placeOf(owner.client)).bookmarks[0]).toMatchObject({ id: mark.json.id, note: "mine" });
    });

    it("answers bad input with a 4xx and a stable code, and writes nothing", async () => {
      const u = await t.signedInUser();
      const cases: [unknown, number, string][] = [
        [{ chapterSlug: "no-such-chapter" }, 404, "CHAPTER_NOT_FOUND"],
        [{ chapterSlug: book.Balance.slug, anchor: "nowhere" }, 400, "SECTION_NOT_FOUND"],
        [{ chapterSlug: book.Balance.slug, note: "x".repeat(501) }, 400, "VALIDATION_FAILED"],
        [{ chapterSlug: "../etc/passwd" }, 400, "VALIDATION_FAILED"],
        [{ chapterSlug: book.Balance.slug, note: "a\u0000b" }, 400, "INVALID_CHARACTERS"],
        [{}, 400, "VALIDATION_FAILED"],
      ];
      for (const [body, status, code] of cases) {
        const res = await u.client.post("/api/v1/me/bookmarks", body);
        expect([res.status, res.json?.code], JSON.stringify(body)).toEqual([status, code]);
      }
      expect((await u.client.patch("/api/v1/me/bookmarks/not%20an%20id", { note: "x" })).status).toBe(404);
      expect(await rowsOf(t, u.userId)).toEqual({ progress: 0, bookmarks: 0 });
      expect((await t.client().post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug })).status).toBe(401);
    });

    it("goes with the account", async () => {
      const u = await t.signedInUser();
      await u.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug });
      await put(u.client, `/api/v1/me/progress/${book.Balance.slug}`, { fraction: 0.4 });
      await t.services.db.kysely.deleteFrom("user").where("id", "=", u.userId).execute();
      expect(await rowsOf(t, u.userId)).toEqual({ progress: 0, bookmarks: 0 });
    });
  });

  describe("a guest's place joins their account", () => {
    /** A guest who read both chapters and bookmarked a section. */
    async function guestWithPlace() {
      const guest = await anonymousReader(t);
      await put(guest.client, `/api/v1/me/progress/${book.Balance.slug}`, { anchor: book.Balance.anchors[1], fraction: 0.8 });
      await put(guest.client, `/api/v1/me/progress/${book.Actuators.slug}`, { fraction: 1, completed: true });
      const mark = await guest.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Actuators.slug, anchor: book.Actuators.anchors[0], note: "guest note" });
      expect(mark.status).toBe(201);
      return { ...guest, bookmarkId: mark.json.id as string };
    }

    it("sign-up and the verification link: progress and bookmarks move, nothing is left behind", async () => {
      const guest = await guestWithPlace();
      const email = uniqueEmail("place-signup");
      const since = Date.now();
      expect((await guest.client.post("/api/auth/sign-up/email", { name: "New Reader", email, password: STRONG_PASSWORD })).status).toBe(200);
      const link = t.mail.linkFrom(await t.mail.waitFor(email, { subject: /verify/i, since }), "/api/auth/verify-email");
      expect((await rowsOf(t, guest.id)).bookmarks).toBe(1); // nothing moves before the address is verified
      expect((await guest.client.get(link)).status).toBe(302);
      const me = await guest.client.get("/api/v1/me");
      expect(me.json).toMatchObject({ email, isAnonymous: false });
      const place = await placeOf(guest.client);
      expect(place.bookmarks).toEqual([expect.objectContaining({ id: guest.bookmarkId, note: "guest note" })]);
      expect(place.progress).toHaveLength(2);
      expect(await rowsOf(t, guest.id)).toEqual({ progress: 0, bookmarks: 0 });
    });

    it("password sign-in to an account with its own place: the latest report per chapter wins, read stays read, duplicate bookmarks collapse", async () => {
      const account = await t.signedInUser();
      // The account read Actuators a while ago, marked it read, and bookmarked the same section without a note.
      await put(account.client, `/api/v1/me/progress/${book.Actuators.slug}`, { anchor: book.Actuators.anchors[1], fraction: 0.9, completed: true });
      const own = await account.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Actuators.slug, anchor: book.Actuators.anchors[0] });
      await account.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug, note: "account's own" });
      await new Promise((r) => setTimeout(r, 5));

      const guest = await anonymousReader(t);
      await put(guest.client, `/api/v1/me/progress/${book.Actuators.slug}`, { anchor: book.Actuators.anchors[0], fraction: 0.2 });
      await put(guest.client, `/api/v1/me/progress/${book.Balance.slug}`, { anchor: book.Balance.anchors[0], fraction: 0.5 });
      await guest.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Actuators.slug, anchor: book.Actuators.anchors[0], note: "from the guest" });
      await guest.client.post("/api/v1/me/bookmarks", { chapterSlug: book.Balance.slug, note: "guest's duplicate" });

      const signIn = await guest.client.post("/api/auth/sign-in/email", { email: account.email, password: STRONG_PASSWORD });
      expect(signIn.status, signIn.text).toBe(200);
      const { progress, bookmarks } = await placeOf(account.client);
      const bySlug = Object.fromEntries(progress.map((p: { chapterSlug: string }) => [p.chapterSlug, p]));
      expect(bySlug[book.Actuators.slug]).toMatchObject({ anchor: book.Actuators.anchors[0], fraction: 0.2, completed: true });
      expect(bySlug[book.Balance.slug]).toMatchObject({ anchor: book.Balance.anchors[0], fraction: 0.5, completed: false });
      expect(bookmarks).toHaveLength(2);
      expect(bookmarks.find((b: { id: string }) => b.id === own.json.id)).toMatchObject({ note: "from the guest" });
      expect(bookmarks.find((b: { chapterSlug: string }) => b.chapterSlug === book.Balance.slug)).toMatchObject({ note: "account's own" });
      expect(await rowsOf(t, guest.id)).toEqual({ progress: 0, bookmarks: 0 });
      expect(await rowsOf(t, account.userId)).toEqual({ progress: 2, bookmarks: 2 });
    });

    it("GitHub: the callback moves the guest's place", async () => {
      const email = uniqueEmail("place-octocat");
      playGitHub(email);
      const guest = await guestWithPlace();
      const callback = await signInWithGitHub(guest.client);
      expect(callback.status, callback.text).toBe(302);
      expect((await guest.client.get("/api/v1/me")).json).toMatchObject({ email, isAnonymous: false });
      const place = await placeOf(guest.client);
      expect(place.bookmarks.map((b: { id: string }) => b.id)).toEqual([guest.bookmarkId]);
      expect(place.progress.map((p: { chapterSlug: string }) => p.chapterSlug).sort()).toEqual([book.Actuators.slug, book.Balance.slug].sort());
      expect(await rowsOf(t, guest.id)).toEqual({ progress: 0, bookmarks: 0 });
    });

    it("the purge of abandoned guests keeps one who is still reading, and takes an abandoned one's place with them", async () => {
      const guest = await guestWithPlace();
      const db = t.services.db.kysely;
      const later = Date.now() + 40 * 86_400_000;
      // Forty days on, the guest's user row and session are old, but they reported progress yesterday.
      await db.updateTable("reading_progress").set({ updated_at: later - 86_400_000 }).where("user_id", "=", guest.id).where("chapter_slug", "=", book.Balance.slug).execute();
      await purgeAbandonedAnonymous(db, 30, later);
      expect(await rowsOf(t, guest.id)).toEqual({ progress: 2, bookmarks: 1 });
      await purgeAbandonedAnonymous(db, 30, later + 40 * 86_400_000);
      expect(await rowsOf(t, guest.id)).toEqual({ progress: 0, bookmarks: 0 });
    });
  });
});
