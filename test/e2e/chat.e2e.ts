/**
 * Chat with the book, end to end (GitHub issue "Chat with the book… nothing lost when they sign
 * up", UI part): a guest asks beside a chapter, sees the answer stream in with its sources,
 * follows one, stays safe from HTML in messages, registers — and finds the chats in the account.
 *
 * The server answers through an OpenAI-compatible endpoint played by this file (a few lines of
 * node:http below): it streams at a reader's pace, so "the answer grows as it arrives" is
 * observable, and it can stall or fail on cue for Stop and Retry. Retrieval and citations are the
 * server's own, over the real book.
 */
import { createServer, type Server } from "node:http";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { axeCheck, DESKTOP, launchBrowser, PHONE, screenshot, startServer, STRONG_PASSWORD, trackDevices, uniqueEmail, type E2EServer, type TestUser } from "./harness.ts";
import { expectSignedIn, expectSignedOut, fetchBook, fillRegister, gone, h1, header, registerDialog, shows, signIn, textOf, type BookInfo } from "./ui.ts";

const BALANCE_QUESTION = "How do humanoid robots keep their balance?";
const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;

let app: E2EServer;
let llm: FakeLlm;
let browser: Browser;
let book: BookInfo;
/** The account the guest of the first test becomes (used by the screenshots). */
let registered: TestUser | null = null;

// Devices of the current test, closed after it; on failure photographed with their complaints.
const devices = trackDevices(() => ({ app, browser }), "chat-");
const device = devices.device;

beforeAll(async () => {
  llm = await startFakeLlm();
  [app, browser] = await Promise.all([
    startServer({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: `${llm.url}/v1`, OPENAI_MODEL: "fake-book-model", OPENAI_TIMEOUT_MS: "10000" }),
    launchBrowser(),
  ]);
  book = await fetchBook(app.url);
});

afterEach(async ({ task }) => {
  const crashes = await devices.finish(task);
  // An uncaught exception in the page fails the test, whatever it checked.
  expect(crashes, "uncaught errors in the page").toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await llm?.close();
});

// ---------------------------------------------------------------------------
// The panel, in a reader's words.
// ---------------------------------------------------------------------------
const askButton = (page: Page) => header(page).getByRole("button", { name: "Ask the book", exact: true });
const panel = (page: Page) => page.getByTestId("chat-panel");
const question = (page: Page) => panel(page).getByLabel("Your question", { exact: true });
const answers = (page: Page) => panel(page).getByTestId("answer");
const sources = (answer: Locator) => answer.getByRole("list", { name: "Sources" }).getByRole("link");
const chatList = (page: Page) => panel(page).getByRole("region", { name: "Your chats" });

async function openPanel(page: Page): Promise<Locator> {
  // The button says whether the panel is open (a reload restores it) from its first render;
  // the panel itself may still be loading, so asking it raced and clicked it shut (flaky).
  const button = askButton(page);
  await shows(button);
  if ((await button.getAttribute("aria-expanded")) !== "true") await button.click();
  await shows(panel(page));
  await shows(question(page));
  return panel(page);
}

/** Type a question and press Enter, as a reader does. */
async function ask(page: Page, text: string): Promise<void> {
  const box = question(page);
  await box.fill(text);
  await box.press("Enter");
}

async function waitForAnswer(page: Page, index: number, status = "complete", timeout = 20_000): Promise<Locator> {
  const answer = answers(page).nth(index);
  await expect.poll(() => answer.getAttribute("data-status"), { timeout, message: `answer ${index} should become ${status}` }).toBe(status);
  return answer;
}

/** Record, from the page, how the newest answer's text grows and what the live region says. */
async function watchStream(page: Page): Promise<void> {
  await page.evaluate(() => {
    const root = document.getElementById("chat-panel")!;
    const before = root.querySelectorAll("[data-testid=answer]").length;
    const w = window as unknown as { __growth: number[]; __said: string[] };
    w.__growth = [];
    w.__said = [];
    new MutationObserver(() => {
      const all = root.querySelectorAll("[data-testid=answer]");
      const last = all[all.length - 1];
      if (all.length > before && last && !last.querySelector(".msg-thinking")) {
        const len = (last.querySelector(".msg-body")?.textContent ?? "").length;
        if (len > 0 && w.__growth[w.__growth.length - 1] !== len) w.__growth.push(len);
      }
      const said = root.querySelector("[data-testid=chat-status]")?.textContent ?? "";
      if (said && w.__said[w.__said.length - 1] !== said) w.__said.push(said);
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
}

const streamLog = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { __growth: number[]; __said: string[] };
    return { growth: w.__growth, said: w.__said };
  });

/** True when the element's top edge is inside the viewport (below the sticky header). */
const inView = (page: Page, id: string) =>
  page.evaluate((id) => {
    const el = document.getElementById(id);
    if (!el) return false;
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0;
  }, id);

describe("a guest chats beside a chapter", () => {
  it("asks, watches the answer stream in, follows a citation, stays safe from HTML, registers and keeps the chats", async () => {
    const { page } = await device({ viewport: DESKTOP });
    const chapter = book.chapters[1]!;
    await page.goto(`/read/${chapter.slug}`);
    await shows(h1(page, chapter.title));
    await expectSignedOut(page);

    // Opened from the header: the panel sits beside the chapter, focus in the question box.
    await askButton(page).click();
    await shows(panel(page));
    expect(await askButton(page).getAttribute("aria-expanded")).toBe("true");
    expect(await panel(page).getAttribute("role")).toBe("complementary");
    await expect.poll(() => question(page).evaluate((el) => el === document.activeElement)).toBe(true);
    await shows(h1(page, chapter.title)); // still beside it, not over it
    await axeCheck(page, "chat panel, empty", { include: "#chat-panel" });

    // The first question: the reader silently becomes a guest, and the answer streams in.
    await watchStream(page);
    await ask(page, BALANCE_QUESTION);
    await shows(panel(page).getByTestId("question").filter({ hasText: BALANCE_QUESTION }));
    await shows(panel(page).getByRole("button", { name: "Stop generating" }));
    const answer = await waitForAnswer(page, 0);
    const { growth, said } = await streamLog(page);
    // (Not strictly increasing: an unfinished "**bold" shows its asterisks until it closes.)
    expect(growth.length, `the answer should grow in several steps, saw lengths ${JSON.stringify(growth)}`).toBeGreaterThanOrEqual(3);
    expect(growth[0]!).toBeLessThan(growth[growth.length - 1]! / 2);
    // The live region speaks once, when the answer is complete — not token by token.
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^Answer complete/);
    expect(await textOf(answer)).toContain("Here is what the book says");
    // Guests still see Sign in / Register, and a gentle prompt to keep their chats.
    await expectSignedOut(page);
    const prompt = panel(page).getByTestId("guest-prompt");
    await shows(prompt);
    expect(await textOf(prompt)).toContain("Create a free account to keep your chats");
    // Sending is back once the answer is done.
    await gone(panel(page).getByRole("button", { name: "Stop generating" }));

    // Citations: links "Chapter — Section" to /read/<slug>#<section>, followed inside the app.
    const links = sources(answer);
    await shows(links);
    expect(await links.count()).toBeGreaterThan(0);
    const first = links.filter({ hasText: " — " }).first();
    const href = (await first.getAttribute("href"))!;
    expect(href).toMatch(/^\/read\/[^#]+#.+/);
    expect(await textOf(first)).toMatch(/ — /);
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    await first.click();
    const [citedPath, citedHash] = href.split("#") as [string, string];
    const sectionId = decodeURIComponent(citedHash);
    await expect.poll(() => new URL(page.url()).pathname).toBe(citedPath);
    expect(decodeURIComponent(new URL(page.url()).hash.slice(1))).toBe(sectionId);
    await expect.poll(() => inView(page, sectionId), { message: `#${sectionId} should be scrolled into view` }).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
    await shows(panel(page)); // the panel stays open beside the chapter on a desktop

    // HTML in a question (and echoed in the answer) stays text: nothing runs, no element appears.
    await panel(page).getByRole("button", { name: "New chat" }).click();
    await ask(page, XSS);
    const echoed = await waitForAnswer(page, 0);
    await shows(panel(page).getByTestId("question").filter({ hasText: `<img src=x onerror="window.__xss=1">` }));
    expect(await textOf(echoed)).toContain("<script>window.__xss=2</script>");
    await expectInert(page);

    // Rename the chat inline: Enter saves, Esc cancels.
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    const list = chatList(page);
    await shows(list.getByRole("button", { name: new RegExp(`^${escapeRe(BALANCE_QUESTION)}`) }));
    const xssRow = list.getByRole("button", { name: /^Rename “<img src=x/ });
    await xssRow.click();
    const titleBox = list.getByLabel("Chat title", { exact: true });
    await shows(titleBox);
    await titleBox.fill("Markup test");
    await titleBox.press("Enter");
    const renameButton = list.getByRole("button", { name: "Rename “Markup test”" });
    await shows(renameButton);
    await expect.poll(() => renameButton.evaluate((el) => el === document.activeElement)).toBe(true);
    await renameButton.press("Enter");
    await titleBox.fill("Never saved");
    await titleBox.press("Escape");
    await shows(renameButton);
    await shows(panel(page)); // Esc cancelled the rename only
    expect(await list.getByText("Never saved").count()).toBe(0);

    // The guest registers from the prompt, verifies by email in the same browser...
    await panel(page).getByRole("button", { name: "Your chats" }).click(); // back to the conversation
    const user: TestUser = { name: "Guest Reader", email: uniqueEmail("guest"), password: STRONG_PASSWORD };
    const mail = await registerFromGuestPrompt(page, user);
    await page.goto(app.mail.linkFrom(mail, "/api/auth/verify-email"));
    await shows(h1(page, "Email verified"));
    await expectSignedIn(page, user.name);
    registered = user;

    // ...and the chat panel lists the guest's chats, with their messages.
    await openPanel(page);
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    await shows(chatList(page).getByRole("button", { name: /^Markup test/ }));
    await chatList(page).getByRole("button", { name: new RegExp(`^${escapeRe(BALANCE_QUESTION)}`) }).click();
    await shows(panel(page).getByTestId("question").filter({ hasText: BALANCE_QUESTION }));
    const kept = await waitForAnswer(page, 0);
    expect(await textOf(kept)).toContain("Here is what the book says");
    await shows(sources(kept));
    await gone(panel(page).getByTestId("guest-prompt"));
    await axeCheck(page, "chat panel with an answer (signed in)", { include: "#chat-panel" });

    // The stored markup chat still renders as text after the move.
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    await chatList(page).getByRole("button", { name: /^Markup test/ }).click();
    await waitForAnswer(page, 0);
    await expectInert(page);
  });
});

describe("back in the guest's browser after verifying on the phone", () => {
  // A stale guest cookie cost the reader the session they had just obtained: the sign-in
  // answered 200 and its cookies only cleared the old session.
  it("the reader signs in with the password and is signed in, with the guest's chats", async () => {
    const { page } = await device({ viewport: DESKTOP });
    await page.goto(`/read/${book.chapters[1]!.slug}`);
    await openPanel(page);
    await ask(page, BALANCE_QUESTION);
    await waitForAnswer(page, 0);

    const user: TestUser = { name: "Two Devices", email: uniqueEmail("two-devices"), password: STRONG_PASSWORD };
    const mail = await registerFromGuestPrompt(page, user);

    // On the phone: the address is verified, the guest's chats move to the account.
    const phone = await device({ viewport: PHONE });
    await phone.page.goto(app.mail.linkFrom(mail, "/api/auth/verify-email"));
    await shows(h1(phone.page, "Email verified"));

    // Back on the laptop, still on "Check your email" and still holding the guest's cookie.
    await signIn(page, user);
    await page.reload();
    await expectSignedIn(page, user.name);
    await openPanel(page);
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    await shows(chatList(page).getByRole("button", { name: new RegExp(`^${escapeRe(BALANCE_QUESTION)}`) }));
  });
});

describe("someone else's verification link (ASVS 3.5.3, 8.2.2)", () => {
  it("a guest who opens an attacker's link stays the same guest with their chats; the page says the address is verified and offers to sign in", async () => {
    // The attacker signs up with their own mailbox and keeps the link.
    const attacker = { email: uniqueEmail("attacker"), password: STRONG_PASSWORD };
    const since = Date.now();
    const signUp = await fetch(`${app.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.url },
      body: JSON.stringify({ name: "Attacker", ...attacker, callbackURL: "/verified" }),
    });
    expect(signUp.status).toBe(200);
    const link = app.mail.linkFrom(await app.mail.waitFor(attacker.email, { subject: /verify/i, since }), "/api/auth/verify-email");

    // A guest chats beside a chapter.
    const { page } = await device({ viewport: DESKTOP });
    await page.goto(`/read/${book.chapters[1]!.slug}`);
    await openPanel(page);
    await ask(page, BALANCE_QUESTION);
    await waitForAnswer(page, 0);
    const whoAmI = () => page.evaluate(() => fetch("/api/v1/me").then((r) => r.json() as Promise<{ id: string; isAnonymous: boolean }>));
    const chats = () => page.evaluate(() => fetch("/api/v1/chats").then((r) => r.json() as Promise<{ chats: { id: string }[] }>));
    const guest = await whoAmI();
    expect(guest.isAnonymous).toBe(true);
    const guestChats = (await chats()).chats.map((c) => c.id);
    expect(guestChats).toHaveLength(1);

    // The guest opens the attacker's link (a top-level navigation carries the Lax cookie).
    await page.goto(link);
    await shows(h1(page, "Email verified"));
    await shows(page.getByText(/does not sign you in/));
    await shows(page.getByRole("button", { name: "Sign in" }));
    await axeCheck(page, "verified elsewhere");
    expect(await whoAmI()).toMatchObject({ id: guest.id, isAnonymous: true });
    expect((await chats()).chats.map((c) => c.id)).toEqual(guestChats);

    // The attacker, signed in, finds nothing of the guest's.
    const token = await fetch(`${app.url}/api/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "password", ...attacker }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const theirs = await fetch(`${app.url}/api/v1/chats`, { headers: { authorization: `Bearer ${token.access_token}` } }).then((r) => r.json());
    expect(theirs.chats).toEqual([]);
  });
});

describe("stopping, failing and retrying", () => {
  it("Stop generating keeps what was written as a stopped answer, and Retry answers in full", async () => {
    const { page } = await device();
    await page.goto(`/read/${book.chapters[0]!.slug}`);
    await openPanel(page);
    await ask(page, "Please answer slowly: what is physical AI?");
    const answer = answers(page).first();
    await expect.poll(async () => ((await answer.textContent()) ?? "").length, { timeout: 10_000 }).toBeGreaterThan(60);
    await panel(page).getByRole("button", { name: "Stop generating" }).click();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("interrupted");
    await shows(answer.getByText("You stopped this answer."));
    // Focus stays where the reader can type on.
    await expect.poll(() => question(page).evaluate((el) => el === document.activeElement)).toBe(true);
    await shows(panel(page).getByTestId("chat-status").filter({ hasText: "Answer stopped." }));
    await answer.getByRole("button", { name: "Retry" }).click();
    await waitForAnswer(page, 0, "complete", 30_000);
    expect(await answer.getByRole("button", { name: "Retry" }).count()).toBe(0);
  });

  it("a failed answer says why in words, and Retry asks again", async () => {
    const { page } = await device();
    await page.goto(`/read/${book.chapters[1]!.slug}`);
    await openPanel(page);
    await ask(page, "Fail once, then tell me: which sensors does a humanoid use?");
    const failed = await waitForAnswer(page, 0, "error");
    await shows(failed.getByText("The AI service is having trouble. Try again in a moment."));
    await shows(panel(page).getByTestId("chat-status").filter({ hasText: "The answer failed." }));
    await axeCheck(page, "chat panel with a failed answer", { include: "#chat-panel" });
    await failed.getByRole("button", { name: "Retry" }).click();
    const answer = await waitForAnswer(page, 0);
    expect(await textOf(answer)).toContain("Here is what the book says");
    // After a reload, the chat and its answer come back from the server.
    await page.reload();
    await openPanel(page);
    await waitForAnswer(page, 0);
    expect(await answers(page).count()).toBe(1);
  });

  it("429: the question comes back with 'Wait N s'; a guest out of questions is offered an account", async () => {
    const { page } = await device();
    await page.goto(`/read/${book.chapters[0]!.slug}`);
    await openPanel(page);
    await page.route("**/api/v1/chats/*/messages", (route) =>
      route.fulfill({
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "7" },
        body: JSON.stringify({ code: "RATE_LIMITED", message: "You are sending messages too fast. Wait a moment.", retryAfter: 7, anonymous: true }),
      }),
    );
    await ask(page, "What is a humanoid?");
    const limit = panel(page).getByTestId("chat-limit");
    await shows(limit);
    expect(await textOf(limit)).toMatch(/Wait [67] s\./);
    expect(await question(page).inputValue()).toBe("What is a humanoid?");
    expect(await panel(page).getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    expect(await answers(page).count()).toBe(0);

    await page.unroute("**/api/v1/chats/*/messages");
    await page.route("**/api/v1/chats/*/messages", (route) =>
      route.fulfill({
        status: 429,
        headers: { "content-type": "application/json", "retry-after": "3600" },
        body: JSON.stringify({
          code: "CHAT_QUOTA_EXCEEDED",
          message: "You have used today's 20 questions for guests. Create a free account to keep asking and keep your chats.",
          retryAfter: 3600,
          anonymous: true,
        }),
      }),
    );
    // Wait out the 7 s, then the daily quota answers.
    await expect.poll(() => panel(page).getByRole("button", { name: "Send" }).isDisabled(), { timeout: 10_000 }).toBe(false);
    await question(page).press("Enter");
    await shows(limit.getByText("You have used today's 20 questions for guests."));
    await limit.getByRole("button", { name: "Create a free account" }).click();
    await shows(registerDialog(page));
  });
});

describe("a long chat", () => {
  it("opens on its latest 50 messages; 'Show earlier messages' brings the rest above them, keeping the reader's place", async () => {
    const { page } = await device({ viewport: DESKTOP });
    await page.goto(`/read/${book.chapters[1]!.slug}`);
    await openPanel(page);
    await ask(page, "First question of a long chat");
    await waitForAnswer(page, 0);
    const { chats } = await page.evaluate(() => fetch("/api/v1/chats").then((r) => r.json() as Promise<{ chats: { id: string }[] }>));
    const chatId = chats[0]!.id;
    // 70 older exchanges, written straight into the server's database, before the first question.
    const file = new SQLite(path.join(app.dataDir, "aibook.db"));
    file.pragma("busy_timeout = 5000");
    const insert = file.prepare("insert into message (id, chat_id, role, content, citations, status, error_code, created_at, stream_owner) values (?, ?, ?, ?, null, 'complete', null, ?, null)");
    const start = Date.now() - 3_600_000;
    file.transaction(() => {
      for (let i = 0; i < 70; i++) insert.run(`old-${i}`, chatId, i % 2 ? "assistant" : "user", `Old message ${i}`, start + i);
    })();
    file.close();

    await page.reload();
    await openPanel(page);
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    await chatList(page).getByRole("button", { name: /^First question of a long chat/ }).click();
    const messages = panel(page).locator('[data-testid="chat-messages"] > li');
    // The conversation, not the chat's title in the list: its oldest message shown, then all 50.
    await shows(panel(page).getByText("Old message 22", { exact: true }));
    await expect.poll(() => messages.count()).toBe(50);
    await shows(messages.filter({ hasText: "First question of a long chat" }));
    expect(await panel(page).getByText("Old message 21", { exact: true }).count()).toBe(0);

    const earlier = panel(page).getByRole("button", { name: "Show earlier messages" });
    await earlier.scrollIntoViewIfNeeded();
    const anchor = panel(page).getByText("Old message 22", { exact: true });
    const before = (await anchor.boundingBox())!.y;
    await earlier.click();
    await shows(panel(page).getByText("Old message 0", { exact: true }));
    await expect.poll(() => messages.count()).toBe(72);
    await gone(earlier);
    // The message the reader was looking at has not moved.
    expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(4);
    await axeCheck(page, "chat panel, a long chat", { include: "#chat-panel" });
  });
});

describe("keyboard, selection and the chat list", () => {
  it("'Ask about this' on a selection (button or Alt+Shift+A) prefills the question; chats load more and delete after a confirmation", async () => {
    const { page } = await device();
    const chapter = book.chapters[2]!;
    await page.goto(`/read/${chapter.slug}`);
    await shows(h1(page, chapter.title));

    // Select the chapter's first paragraph: the floating button appears next to it.
    const selected = await selectFirstParagraph(page);
    const askThis = page.getByRole("button", { name: "Ask about this", exact: true });
    await shows(askThis);
    expect(await askThis.getAttribute("aria-keyshortcuts")).toBe("Alt+Shift+A");
    expect(await askThis.getAttribute("title")).toContain("Alt+Shift+A");
    await askThis.click();
    await shows(panel(page));
    const value = await question(page).inputValue();
    expect(value.startsWith('About: "')).toBe(true);
    expect(value.endsWith('"\n')).toBe(true);
    expect([...value].length).toBeLessThanOrEqual(512);
    expect(value).toContain(selected.replace(/\s+/g, " ").trim().slice(0, 40));
    await expect.poll(() => question(page).evaluate((el) => el === document.activeElement)).toBe(true);

    // Keyboard: Esc closes the panel and focus returns to "Ask the book".
    await question(page).fill("");
    await page.keyboard.press("Escape");
    await gone(panel(page));
    await expect.poll(() => askButton(page).evaluate((el) => el === document.activeElement)).toBe(true);

    // The shortcut does the same.
    await selectFirstParagraph(page);
    await page.keyboard.press("Alt+Shift+A");
    await shows(panel(page));
    await expect.poll(() => question(page).inputValue()).toMatch(/^About: "/);

    // Shift+Enter is a new line, not a send.
    await question(page).fill("First line");
    await question(page).press("Shift+Enter");
    await question(page).pressSequentially("second line");
    expect(await question(page).inputValue()).toBe("First line\nsecond line");
    expect(await answers(page).count()).toBe(0);

    // Near the limit a counter shows; over it, Send is off.
    await question(page).fill("x".repeat(3300));
    await shows(panel(page).getByTestId("chat-counter").filter({ hasText: "3,300 / 4,000" }));
    await question(page).fill("x".repeat(4010));
    await shows(panel(page).getByTestId("chat-counter").filter({ hasText: "10 characters over the limit" }));
    expect(await panel(page).getByRole("button", { name: "Send" }).isDisabled()).toBe(true);
    await question(page).fill("");

    // 22 chats (made through the API as this guest): newest first, 20 at a time.
    await ask(page, "What is physical AI?");
    await waitForAnswer(page, 0);
    for (let i = 1; i <= 21; i++) {
      const res = await page.request.post("/api/v1/chats", { data: { title: `Old chat ${String(i).padStart(2, "0")}` }, headers: { origin: app.url } });
      expect(res.status()).toBe(201);
    }
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    const list = chatList(page);
    await shows(list.getByRole("button", { name: /^Old chat 21/ }));
    const rows = list.getByRole("button", { name: /^Rename / });
    expect(await rows.count()).toBe(20);
    expect(await textOf(list.getByRole("listitem").first())).toContain("Old chat 21");
    await list.getByRole("button", { name: "Load more" }).click();
    await shows(list.getByRole("button", { name: /^What is physical AI\?/ }));
    expect(await rows.count()).toBe(22);
    await gone(list.getByRole("button", { name: "Load more" }));

    // Delete, by keyboard, after a confirmation.
    await list.getByRole("button", { name: "Delete “Old chat 21”" }).focus();
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("dialog", { name: "Delete this chat?" });
    await shows(confirm);
    await axeCheck(page, "delete chat dialog");
    await confirm.getByRole("button", { name: "Delete chat" }).click();
    await gone(confirm);
    await gone(list.getByRole("button", { name: /^Old chat 21/ }));
    expect(await rows.count()).toBe(21);
    await expect.poll(() => page.evaluate(() => document.activeElement?.className ?? "")).toContain("chat-open");
    const gone404 = await page.request.get("/api/v1/chats?limit=100");
    const titles = ((await gone404.json()) as { chats: { title: string }[] }).chats.map((c) => c.title);
    expect(titles).not.toContain("Old chat 21");
    await axeCheck(page, "chat list", { include: "#chat-panel" });
  });
});

describe("screenshots and phones", () => {
  it("desktop (1280×800) and phone (360×740) with an answer and its sources; the phone panel is full screen", async () => {
    const user = registered ?? (await app.createVerifiedUser({ name: "Ada Reader", email: uniqueEmail("ada") }));
    const chapter = book.chapters[1]!;

    const desk = await device({ viewport: DESKTOP });
    await desk.page.goto(`/read/${chapter.slug}`);
    await signIn(desk.page, user);
    await openPanel(desk.page);
    if (!registered) {
      await ask(desk.page, BALANCE_QUESTION);
      await waitForAnswer(desk.page, 0);
    } else {
      await desk.page.getByRole("button", { name: "Your chats" }).click();
      await chatList(desk.page).getByRole("button", { name: new RegExp(`^${escapeRe(BALANCE_QUESTION)}`) }).click();
    }
    const answer = await waitForAnswer(desk.page, 0);
    await shows(sources(answer));
    // The picture: the question at the top of the conversation, no toast, no hover.
    await scrollConversationTo(panel(desk.page).getByTestId("question").first());
    await gone(desk.page.getByTestId("announcer").getByText("You're signed in."), 8000);
    await desk.page.mouse.move(0, 0);
    await screenshot(desk.page, "chat");

    const phone = await device({ viewport: PHONE });
    const { page } = phone;
    await page.goto(`/read/${chapter.slug}`);
    await signIn(page, user);
    await askButton(page).click();
    await shows(panel(page));
    expect(await panel(page).getAttribute("role")).toBe("dialog");
    const box = (await panel(page).boundingBox())!;
    expect(box).toMatchObject({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    await panel(page).getByRole("button", { name: "Your chats" }).click();
    await chatList(page).getByRole("button", { name: new RegExp(`^${escapeRe(BALANCE_QUESTION)}`) }).click();
    const onPhone = await waitForAnswer(page, 0);
    await shows(sources(onPhone));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await axeCheck(page, "chat panel on a phone");
    await gone(page.getByTestId("announcer").getByText("You're signed in."), 8000);
    await screenshot(page, "chat-phone");

    // Following a citation on a phone shows the chapter (the panel steps aside).
    const link = sources(onPhone).filter({ hasText: " — " }).first();
    const href = (await link.getAttribute("href"))!;
    await link.click();
    await gone(panel(page));
    await expect.poll(() => inView(page, decodeURIComponent(href.split("#")[1]!))).toBe(true);

    // The close button brings the page back, focus on "Ask the book".
    await askButton(page).click();
    await shows(panel(page));
    await panel(page).getByRole("button", { name: "Close the chat" }).click();
    await gone(panel(page));
    await expect.poll(() => askButton(page).evaluate((el) => el === document.activeElement)).toBe(true);
  });
});

describe("with no AI service configured", () => {
  it("the embedded answerer streams an answer from the book, with its sources", async () => {
    // A server of its own, without OPENAI_*: the default every `npm start` gets.
    const offline = await startServer();
    try {
      const { context } = await device();
      const page = await context.newPage();
      await page.goto(`${offline.url}/read/${book.chapters[1]!.slug}`);
      await openPanel(page);
      await ask(page, BALANCE_QUESTION);
      const answer = await waitForAnswer(page, 0);
      // Prose first, from the best section, then the other sections cited (issue 14, item 7).
      expect(await textOf(answer)).toMatch(/support polygon[\s\S]*More in: \[2\]/);
      expect(await sources(answer).count()).toBeGreaterThan(0);
      await expectInert(page);
    } finally {
      await offline.stop();
    }
  });
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** Nothing from a message ran, and no element was made from its markup. */
/** The guest registers from the prompt in the chat panel; returns the verification mail it gets. */
async function registerFromGuestPrompt(page: Page, user: TestUser) {
  await panel(page).getByTestId("guest-prompt").getByRole("button", { name: "Register" }).click();
  const dialog = registerDialog(page);
  await shows(dialog);
  await fillRegister(dialog, user);
  const since = Date.now();
  await dialog.getByRole("button", { name: "Create account" }).click();
  await shows(h1(page, "Check your email"));
  return app.mail.waitFor(user.email, { subject: /verify/i, since: since - 1, timeoutMs: 10_000 });
}

async function expectInert(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  const made = await page.evaluate(() => document.querySelectorAll("[data-testid=chat-messages] :is(img, script, iframe, object, embed, svg)").length);
  expect(made).toBe(0);
  const hrefs = await page.evaluate(() => [...document.querySelectorAll("[data-testid=chat-messages] a")].map((a) => a.getAttribute("href") ?? ""));
  for (const h of hrefs) expect(h).toMatch(/^(\/read\/|https?:)/);
}

/** Scroll the conversation (not the page) so this message is at its top. */
async function scrollConversationTo(message: Locator): Promise<void> {
  await message.evaluate((el) => {
    const box = el.closest<HTMLElement>("[aria-label=Conversation]")!;
    box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 12;
  });
}

async function selectFirstParagraph(page: Page): Promise<string> {
  return page.evaluate(() => {
    const p = document.querySelector(".prose p")!;
    const range = document.createRange();
    range.selectNodeContents(p);
    const sel = window.getSelection()!;
    sel.removeAllRanges();
    sel.addRange(range);
    return sel.toString();
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------
// An OpenAI-compatible /v1/chat/completions that streams like a model would. It answers from
// the passages the server put in the system prompt, citing them as [n]; on cue it answers
// slowly ("slowly"), fails once with a 500 ("fail once"), or echoes markup back (a question with <).
// ---------------------------------------------------------------------------
interface FakeLlm {
  url: string;
  close(): Promise<void>;
}

function startFakeLlm(): Promise<FakeLlm> {
  const failedOnce = new Set<string>();
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(raw) as { messages: { role: string; content: string }[] };
        const q = body.messages.at(-1)?.content ?? "";
        if (/fail once/i.test(q) && !failedOnce.has(q)) {
          failedOnce.add(q);
          res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"message":"upstream exploded"}}');
          return;
        }
        const text = compose(q, body.messages[0]?.content ?? "");
        const slow = /slowly/i.test(q);
        let closed = false;
        res.on("close", () => (closed = true));
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        for (const piece of text.match(/\S+\s*/g) ?? []) {
          if (closed) return;
          res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: piece } }] })}\n\n`);
          await new Promise((r) => setTimeout(r, slow ? 70 : 20));
        }
        res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: "stop" }] })}\n\n`);
        res.end("data: [DONE]\n\n");
      })();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${addr.port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    }),
  );
}

function compose(q: string, system: string): string {
  if (q.includes("<")) {
    return `You asked: ${q}\n\nThat is markup, not a question about the book. [A link](javascript:window.__xss=3) ${q}`;
  }
  const passages: { title: string; text: string }[] = [];
  const re = /^\[(\d+)\] (.+)\n([\s\S]*?)(?=\n\n\[\d+\] |$)/gm;
  for (let m; (m = re.exec(system)); ) passages.push({ title: m[2]!, text: m[3]!.replace(/\s+/g, " ").trim() });
  if (passages.length === 0) return "The book does not say.";
  const firstSentence = (t: string) => (t.match(/^.{20,220}?[.!?](?=\s|$)/)?.[0] ?? t.slice(0, 160)).replace(/[*_`]/g, "");
  const lines = passages.slice(0, 3).map((p, i) => `- ${firstSentence(p.text)} [${i + 1}]`);
  const more = /slowly/i.test(q) ? `\n\n${"Take it one step at a time, as the book does. ".repeat(8)}` : "";
  return `Here is what the book says:\n\n${lines.join("\n")}\n\nRead **${passages[0]!.title}** for more.${more}`;
}
