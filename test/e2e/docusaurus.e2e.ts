/**
 * A Docusaurus site as the book, in the browser (issue 14): the server started with BOOK_DIR at
 * test/fixtures/docusaurus-site. The contents are its sidebar's tree, categories open and close
 * by keyboard and stay as the reader left them, the current chapter is marked, previous/next
 * follow the sidebar, and the site's title is in the header and the document title. A page's
 * components work: tabs by keyboard and in step, admonitions, highlighted code with its Copy
 * button, a mermaid diagram, in the light and the dark theme.
 */
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { axeCheck, DESKTOP, launchBrowser, REPO_ROOT, screenshot, startServer, trackDevices, type E2EServer } from "./harness.ts";
import { expectTheme, h1, header, shows } from "./ui.ts";

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

describe("a chapter with the theme's components", () => {
  it.each(["light", "dark"] as const)("reads in the %s theme: admonitions, ARIA tabs in step and remembered, highlighted code copied, a diagram drawn", async (scheme) => {
    const { page, context } = await devices.device({ viewport: DESKTOP, colorScheme: scheme });
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.goto("/read/reference/programming");
    await shows(h1(page, "Programming the robot"));
    await expectTheme(page, scheme);
    const main = page.getByRole("main");

    // Admonitions: notes with their visible titles (and the type said first when the title is the author's).
    await shows(main.getByRole("note").filter({ hasText: "Warning: Mind the cable" }));
    expect(await main.locator("aside[role=note]").count()).toBe(7);
    expect(await main.getByText(":::").count()).toBe(0);

    // Tabs: two tab lists in one group; arrow keys move and choose, the other list follows.
    const lists = main.getByRole("tablist");
    await expect.poll(() => lists.count()).toBe(2);
    const linux = lists.first().getByRole("tab", { name: "Linux" });
    expect(await linux.getAttribute("aria-selected")).toBe("true");
    await shows(main.getByRole("tabpanel").filter({ hasText: "sudo apt install garden-tools" }));
    await linux.focus();
    await page.keyboard.press("ArrowRight");
    const mac = lists.first().getByRole("tab", { name: "macOS" });
    await expect.poll(() => mac.getAttribute("aria-selected")).toBe("true");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("macOS");
    await expect.poll(() => lists.last().getByRole("tab", { name: "macOS" }).getAttribute("aria-selected")).toBe("true");
    expect(await main.getByText("sudo apt install garden-tools").isVisible()).toBe(false);
    await page.keyboard.press("Home");
    await expect.poll(() => linux.getAttribute("aria-selected")).toBe("true");
    await page.keyboard.press("End");
    // Remembered: the next load opens on macOS.
    await page.reload();
    await shows(h1(page, "Programming the robot"));
    await expect.poll(() => main.getByRole("tablist").first().getByRole("tab", { name: "macOS" }).getAttribute("aria-selected")).toBe("true");

    // Code: Prism's tokens, in this theme's colours.
    const keyword = main.locator("figure.code-block pre.language-python .token.keyword").first();
    await shows(keyword);
    expect(await keyword.evaluate((el) => getComputedStyle(el).color)).toBe(scheme === "light" ? "rgb(176, 22, 43)" : "rgb(255, 139, 130)");
    // The diagram, drawn by the lazy mermaid chunk; its source folded beneath it.
    const diagram = main.locator(".mermaid-svg svg");
    await shows(diagram, 30_000);
    await shows(main.getByText("Diagram source"));
    // Regression: with reduced motion, the app's 0.01 ms transitions skewed mermaid's measuring (a 4368 px wide drawing of dots).
    expect((await diagram.boundingBox())!.height).toBeLessThan(300);
    if (scheme === "light") {
      await page.evaluate(() => document.getElementById("installing-the-tools")!.scrollIntoView());
      await screenshot(page, "chapter-components");
      await page.evaluate(() => document.getElementById("how-it-decides")!.scrollIntoView());
      await screenshot(page, "chapter-diagram");
    }

    // The Copy button copies the code, without its line numbers, and says so.
    await main.getByRole("button", { name: "Copy code: water.py" }).click();
    await shows(page.getByTestId("announcer").getByText("Copied"));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('def water(row, litres):\n    pump.open(row)\n    wait(seconds=litres * 30)\n    pump.close(row)\n    log(f"row {row}: {litres} l")');

    await axeCheck(page, `docusaurus components (${scheme})`);
  });
});

describe("the chat on a code-heavy page", () => {
  it("answers a how-to with prose, then the book's code verbatim, its language shown and coloured like the book", async () => {
    const { page } = await devices.device({ viewport: DESKTOP, colorScheme: "light" });
    await page.goto("/read/reference/programming");
    await shows(h1(page, "Programming the robot"));
    const askButton = header(page).getByRole("button", { name: "Ask the book", exact: true });
    await shows(askButton);
    if ((await askButton.getAttribute("aria-expanded")) !== "true") await askButton.click();
    const panel = page.getByTestId("chat-panel");
    const box = panel.getByLabel("Your question", { exact: true });
    await shows(box);
    await box.fill("How do I write a watering routine?");
    await box.press("Enter");
    const answer = panel.getByTestId("answer").first();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 20_000 }).toBe("complete");
    // Prose first: the sentence that says what a watering routine is (issue 14, item 7).
    expect(await answer.locator("p").first().innerText()).toMatch(/^A watering routine is a function/);
    const code = answer.locator('pre[data-language="python"] code');
    await shows(code);
    expect(await code.innerText()).toBe('def water(row, litres):\n    pump.open(row)\n    wait(seconds=litres * 30)\n    pump.close(row)\n    log(f"row {row}: {litres} l")');
    await shows(answer.locator(".md-code-lang").filter({ hasText: "python" }));
    const keyword = code.locator(".token.keyword").first();
    await shows(keyword);
    expect(await keyword.evaluate((el) => getComputedStyle(el).color)).toBe("rgb(176, 22, 43)");
    await axeCheck(page, "chat answer with code", { include: "#chat-panel" });
  });
});
