/**
 * The reader's place, in the browser (issue 14, item 8): a guest finds a passage by keyboard
 * (`/` and Ctrl-K, arrows, Enter) and lands on its section, reads on, bookmarks a section with a
 * note, and finds "Continue reading" on the home page, the chapter's progress in the contents and
 * the bookmark with its note on /account/bookmarks. axe on the search dialog, the bookmark dialog
 * and the bookmarks page.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeCheck, DESKTOP, e2eFile } from "./harness.ts";
import { gone, h1, header, shows, textOf } from "./ui.ts";

const suite = e2eFile("place-");

const searchDialog = (page: Page) => page.getByRole("dialog", { name: "Search the book" });
const searchBox = (page: Page) => searchDialog(page).getByRole("combobox", { name: "Search the book" });
const options = (page: Page) => searchDialog(page).getByRole("option");
const contents = (page: Page) => page.getByRole("complementary", { name: "Book contents" });

/** The guest's progress as the server has it. */
const progress = (page: Page) =>
  page.evaluate(async () => (await (await fetch("/api/v1/me/progress")).json()) as { progress: { chapterSlug: string; anchor: string | null; completed: boolean }[] });

describe("the reader's place", () => {
  it("search by keyboard lands on the section; progress, Continue reading and a bookmark with a note follow", async () => {
    const { page } = await suite.device({ viewport: DESKTOP });
    await page.goto("/");
    await shows(h1(page, /.+/));

    // `/` from the page opens the search; typing shows marked results; Escape closes it.
    await page.keyboard.press("/");
    await shows(searchDialog(page));
    await axeCheck(page, "search dialog (empty)");
    await searchBox(page).fill("quantum chromodynamics");
    await shows(searchDialog(page).getByText(/Nothing in the book matches/));
    await page.keyboard.press("Escape");
    await gone(searchDialog(page));

    // Ctrl-K opens it too; results as you type, arrows move, Enter opens the section.
    await page.keyboard.press("Control+k");
    await shows(searchBox(page));
    await page.keyboard.type("zero moment");
    await shows(options(page));
    expect(await searchDialog(page).locator("mark").count()).toBeGreaterThan(0);
    await axeCheck(page, "search dialog (results)");
    expect(await options(page).first().getAttribute("aria-selected")).toBe("true");
    expect(await textOf(options(page).first())).toMatch(/zero moment point/i);
    if ((await options(page).count()) > 1) {
      await page.keyboard.press("ArrowDown");
      expect(await options(page).nth(1).getAttribute("aria-selected")).toBe("true");
      await page.keyboard.press("ArrowUp");
    }
    expect(await searchBox(page).getAttribute("aria-activedescendant")).toBe(await options(page).first().getAttribute("id"));
    await page.keyboard.press("Enter");
    await gone(searchDialog(page));
    await expect.poll(() => new URL(page.url()).hash).toMatch(/zero-moment-point/);
    const slug = decodeURIComponent(new URL(page.url()).pathname.slice("/read/".length));

    // Reading on: the section in view is reported (the reader became a guest to keep it).
    await expect.poll(async () => (await progress(page)).progress?.find((p) => p.chapterSlug === slug)?.anchor ?? null, { timeout: 15_000 }).toMatch(/zero-moment-point/);

    // Bookmark the section in view (the toolbar's button names it), with a note.
    const toolbarButton = page.getByRole("button", { name: /^Bookmark\s*:\s*The zero moment point/ });
    // Clicked in the page: Playwright's click first scrolls a sticky element to its place at the
    // top of the article, which moves the reader (a reader's own click does not).
    await toolbarButton.evaluate((b: HTMLElement) => b.click());
    const dialog = page.getByRole("dialog", { name: "Bookmark this section" });
    await shows(dialog);
    await axeCheck(page, "bookmark dialog");
    await dialog.getByLabel("Note (optional)").press("/"); // typing in the note: no search
    expect(await searchDialog(page).count()).toBe(0);
    await dialog.getByLabel("Note (optional)").fill("Compare with the support polygon / feet");
    await dialog.getByRole("button", { name: "Add bookmark" }).click();
    await gone(dialog);
    await shows(page.getByRole("button", { name: /^Bookmarked\s*:\s*The zero moment point/ }));

    // Continue reading on the home page, and the chapter's progress in the contents.
    await header(page).getByTestId("book-title").evaluate((a: HTMLElement) => a.click()); // as above: no scroll first
    const continueReading = page.getByRole("region", { name: "Continue reading" });
    await shows(continueReading);
    const link = continueReading.getByRole("link");
    expect(new URL((await link.getAttribute("href"))!, page.url()).hash).toMatch(/zero-moment-point/);
    await shows(contents(page).getByRole("link", { name: /% read\)|\(read\)/ }));
    await axeCheck(page, "home with Continue reading");
    await link.click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/read/${slug}`);

    // The bookmarks page, reached from the contents, lists it with its note.
    await contents(page).getByRole("link", { name: "Bookmarks", exact: true }).click();
    await shows(h1(page, "Bookmarks"));
    await shows(page.getByText("Compare with the support polygon / feet"));
    await shows(page.getByRole("link", { name: /zero moment point/i }));
    await axeCheck(page, "bookmarks page");
  });

  it("a chapter that fits on the screen is read once the reader stays on it a few seconds, with nothing to scroll", async () => {
    // A window tall enough for the whole chapter.
    const { page } = await suite.device({ viewport: { width: 1280, height: 12_000 } });
    await page.goto("/");
    await shows(h1(page, /.+/));
    // A guest first, as the app makes one on a reader's first act worth keeping.
    expect((await page.request.post("/api/auth/sign-in/anonymous", { data: {}, headers: { origin: suite.app.url } })).status()).toBe(200);
    const book = (await (await page.request.get("/api/v1/book")).json()) as { chapters: { slug: string }[] };
    const slug = book.chapters[1]!.slug;
    await page.goto(`/read/${slug}`);
    // The chapter's own text, not the loading page's heading.
    await shows(page.locator("article .prose"));
    const heightFits = await page.evaluate(() => document.querySelector("article")!.getBoundingClientRect().bottom <= window.innerHeight);
    expect(heightFits, "the chapter should fit in the window").toBe(true);
    await expect
      .poll(async () => (await progress(page)).progress?.find((p) => p.chapterSlug === slug)?.completed ?? false, { timeout: 15_000 })
      .toBe(true);
  });
});
