/**
 * A Docusaurus site as the book, in the browser (issue 14): the server started with BOOK_DIR at
 * test/fixtures/docusaurus-site. The contents are its sidebar's tree, categories open and close
 * by keyboard and stay as the reader left them, the current chapter is marked, previous/next
 * follow the sidebar, and the site's title is in the header and the document title.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { axeCheck, DESKTOP, launchBrowser, REPO_ROOT, startServer, trackDevices, type E2EServer } from "./harness.ts";
import { h1, header, shows } from "./ui.ts";

const SITE_TITLE = "Garden Robots Handbook";
let app: E2EServer;
let browser: Browser;
const devices = trackDevices(() => ({ app, browser }), "docusaurus-");

beforeAll(async () => {
  [app, browser] = await Promise.all([startServer({ BOOK_DIR: path.join(REPO_ROOT, "test/fixtures/docusaurus-site") }), launchBrowser()]);
});
afterEach(async ({ task }) => {
  await devices.finish(task);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const contents = (page: Page) => page.getByRole("complementary", { name: "Book contents" });
const expanded = (page: Page, name: string) => contents(page).getByRole("button", { name, exact: true }).getAttribute("aria-expanded");

describe("a Docusaurus site's contents", () => {
  it("shows the site's title and tagline, and its sidebar's categories, opened and closed by keyboard and remembered", async () => {
    const { page } = await devices.device({ viewport: DESKTOP });
    await page.goto("/");
    await shows(h1(page, SITE_TITLE));
    await shows(page.getByText("Small machines for patient gardeners"));
    await expect.poll(() => header(page).getByTestId("book-title").textContent()).toBe(SITE_TITLE);
    await expect.poll(() => page.title()).toBe(SITE_TITLE);
    await axeCheck(page, "docusaurus home");

    // "Field work" starts collapsed (sidebars.ts), "The Basics" open (collapsed: false).
    const toc = contents(page);
    expect(await expanded(page, "Field work")).toBe("false");
    expect(await toc.getByRole("link", { name: "Watering" }).isVisible()).toBe(false);
    expect(await expanded(page, "The Basics: show or hide its pages")).toBe("true");
    await shows(toc.getByRole("link", { name: "Setting up" }));

    // Opened with Enter, closed with Space, opened again: and so it stays after a reload.
    await toc.getByRole("button", { name: "Field work", exact: true }).focus();
    await page.keyboard.press("Enter");
    await shows(toc.getByRole("link", { name: "Watering" }));
    await page.keyboard.press("Space");
    await expect.poll(() => expanded(page, "Field work")).toBe("false");
    await page.keyboard.press("Enter");
    await toc.getByRole("button", { name: "The Basics: show or hide its pages" }).press("Enter");
    await expect.poll(() => expanded(page, "The Basics: show or hide its pages")).toBe("false");
    await page.reload();
    await shows(h1(page, SITE_TITLE));
    await expect.poll(() => expanded(page, "Field work")).toBe("true");
    expect(await expanded(page, "The Basics: show or hide its pages")).toBe("false");
  });

  it("marks the current chapter, shows one h1, and pages through in sidebar order", async () => {
    const { page } = await devices.device({ viewport: DESKTOP });
    await page.goto("/read/basics/sensors");
    // Front matter says "Sensors"; the page's own # heading is its one h1, as on the Docusaurus site.
    await shows(h1(page, "Seeing the garden"));
    expect(await page.getByRole("heading", { level: 1 }).count()).toBe(1);
    await expect.poll(() => page.title()).toBe(`Sensors · ${SITE_TITLE}`);
    const current = contents(page).locator("[aria-current=page]");
    await expect.poll(() => current.textContent()).toBe("Sensors");
    await axeCheck(page, "docusaurus chapter");

    const pager = page.getByRole("navigation", { name: "Chapters" });
    expect(await pager.getByRole("link", { name: /Previous chapter/ }).textContent()).toContain("Setting up");
    await pager.getByRole("link", { name: /Next chapter/ }).click();
    await shows(h1(page, "Watering"));
    expect(new URL(page.url()).pathname).toBe("/read/field-work/watering");
    // Reaching a page inside a closed category opens it.
    await expect.poll(() => expanded(page, "Field work")).toBe("true");
    await expect.poll(() => current.textContent()).toBe("Watering");
    await pager.getByRole("link", { name: /Next chapter/ }).click();
    await shows(h1(page, "Planting seeds in rows"));
    await pager.getByRole("link", { name: /Next chapter/ }).click();

    // A generated index lists its category's pages.
    await shows(h1(page, "Tools and care"));
    expect(new URL(page.url()).pathname).toBe("/read/category/tools-and-care");
    await shows(page.getByRole("main").getByRole("link", { name: "Rake" }));
    await axeCheck(page, "docusaurus generated index");
  });
});
