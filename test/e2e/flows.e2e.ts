/**
 * A new reader's flows, end to end: the real server as a child process, headless Chromium, every
 * email read from a real SMTP listener and its link followed in the browser (see harness.ts).
 * Locators use what a reader (and a screen reader) perceives: roles, accessible names, labels.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import {
  axeCheck,
  DESKTOP,
  launchBrowser,
  PHONE,
  screenshot,
  sleep,
  startServer,
  STRONG_PASSWORD,
  trackDevices,
  uniqueEmail,
  type E2EServer,
  type TestUser,
} from "./harness.ts";
import {
  expectSignedIn,
  expectSignedOut,
  expectTheme,
  fetchBook,
  fillRegister,
  gone,
  h1,
  openRegister,
  openSignIn,
  registerDialog,
  shows,
  signIn,
  signInDialog,
  signOut,
  strengthMeter,
  submitSignIn,
  textOf,
  userMenu,
  type BookInfo,
} from "./ui.ts";

let app: E2EServer;
let browser: Browser;
let book: BookInfo;
/** A user signed up (not verified) at the start, for the "sign in before verifying" test. */
let unverified: TestUser & { signedUpAt: number };

// Devices opened by the current test: closed after it; on failure each page is photographed
// to test-results/e2e/ and its console errors printed, with the server's log.
const devices = trackDevices(() => ({ app, browser }));
const device = devices.device;

beforeAll(async () => {
  [app, browser] = await Promise.all([startServer(), launchBrowser()]);
  book = await fetchBook(app.url);
  if (book.chapters.length < 2) throw new Error(`the e2e suite needs a book with at least 2 chapters; got ${JSON.stringify(book)}`);
  // Signed up now so that, by the time its test runs, the one-mail-a-minute pace allows a new link.
  unverified = { name: "Uma Verity", email: uniqueEmail("unverified"), password: STRONG_PASSWORD, signedUpAt: Date.now() };
  const res = await fetch(`${app.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: app.url, "x-forwarded-for": "198.18.0.10" },
    body: JSON.stringify({ name: unverified.name, email: unverified.email, password: unverified.password }),
  });
  if (!res.ok) throw new Error(`sign-up of the unverified user failed: ${res.status} ${await res.text()}`);
});

afterEach(async ({ task }) => {
  await devices.finish(task);
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const chapter = (i: number) => book.chapters[i]!;

describe("reading", () => {
  it("the home page shows the book's title and its chapters", async () => {
    const { page } = await device();
    const res = await page.goto("/");
    expect(res?.status()).toBe(200);
    await shows(h1(page, book.title));
    expect(await page.title()).toContain(book.title);
    const chapters = page.getByRole("region", { name: "Chapters" });
    for (const c of book.chapters) await shows(chapters.getByRole("link", { name: new RegExp(escapeRe(c.title)) }));
    await expectSignedOut(page);
    await axeCheck(page, "home");
  });

  it("an unknown address shows a page, not a blank screen, and the API's 404 stays JSON", async () => {
    const { page } = await device();
    await page.goto("/read/no-such-chapter");
    await shows(h1(page, "Chapter not found"));
    const api = await page.request.get("/api/v1/no-such-route");
    expect(api.status()).toBe(404);
    expect(api.headers()["content-type"]).toContain("application/json");
  });
});

describe("a new reader", () => {
  it("registers, verifies by email, reads, sets a dark theme that follows the account, signs out, resets the password and signs in with it", async () => {
    const user: TestUser = { name: "Grace Hopper", email: uniqueEmail("grace"), password: "cobol compilers sail at dawn" };
    const { page } = await device();
    await page.goto("/");
    await expectSignedOut(page);

    // Register from the header.
    const dialog = await openRegister(page);
    await fillRegister(dialog, user);
    await expect.poll(() => textOf(strengthMeter(dialog)), { timeout: 10_000 }).toMatch(/Password strength: (Good|Strong)/);
    const since = Date.now();
    await dialog.getByRole("button", { name: "Create account" }).click();

    // The check-email screen, naming the address.
    await shows(h1(page, "Check your email"));
    expect(new URL(page.url()).pathname).toBe("/check-email");
    await shows(page.getByText(user.email));
    await axeCheck(page, "check-email (after registering)");

    // The link from the email, opened in the same browser: verified and signed in.
    const verifyMail = await app.mail.waitFor(user.email, { subject: /verify/i, since: since - 1, timeoutMs: 10_000 });
    const verifyLink = app.mail.linkFrom(verifyMail, "/api/auth/verify-email");
    expect(new URL(verifyLink).origin).toBe(app.url);
    await page.goto(verifyLink);
    await shows(h1(page, "Email verified"));
    expect(new URL(page.url()).pathname).toBe("/verified");
    await shows(page.getByText(`Thank you, ${user.name}.`));
    await expectSignedIn(page, user.name);
    await axeCheck(page, "verified (signed in)");

    // The link works once: opened again it says so. A damaged link says it isn't valid.
    await page.goto(verifyLink);
    await shows(h1(page, "This link has already been used"));
    const damaged = new URL(verifyLink);
    damaged.searchParams.set("token", `${damaged.searchParams.get("token")!.slice(0, -4)}AAAA`);
    await page.goto(damaged.toString());
    await shows(h1(page, "This link isn't valid"));
    await expectSignedIn(page, user.name);

    // Open a chapter from the table of contents.
    await page.goto("/");
    const second = chapter(1);
    const toc = page.getByRole("complementary", { name: "Book contents" });
    await toc.getByRole("link", { name: new RegExp(escapeRe(second.title)) }).click();
    await shows(h1(page, second.title));
    expect(new URL(page.url()).pathname).toBe(`/read/${second.slug}`);
    await expectSignedIn(page, user.name);

    // Dark theme on /account/preferences, reached from the reader's menu.
    await userMenu(page, user.name, "Preferences");
    await shows(h1(page, "Preferences"));
    await page.getByRole("radio", { name: "Dark" }).check();
    await shows(page.getByRole("status").filter({ hasText: "Theme saved." }));
    await expectTheme(page, "dark");

    // It persists after a reload...
    await page.reload();
    await shows(h1(page, "Preferences"));
    await expectTheme(page, "dark");
    await expect.poll(() => page.getByRole("radio", { name: "Dark" }).isChecked()).toBe(true);

    // ...and follows the account to another browser (nothing in its local storage).
    {
      const other = await device({ colorScheme: "light" });
      await other.page.goto("/");
      await expectTheme(other.page, "light");
      await signIn(other.page, user);
      await expectTheme(other.page, "dark");
      await other.page.goto("/account/preferences");
      await shows(h1(other.page, "Preferences"));
      await expect.poll(() => other.page.getByRole("radio", { name: "Dark" }).isChecked()).toBe(true);
      await other.context.close();
    }

    // Sign out from the menu.
    await signOut(page, user.name);

    // Forgot password, from the sign-in dialog.
    const signInBox = await openSignIn(page);
    await signInBox.getByRole("link", { name: "Forgot password?" }).click();
    await shows(h1(page, "Reset your password"));
    await page.getByLabel("Email", { exact: true }).fill(user.email);
    const resetSince = Date.now();
    await page.getByRole("button", { name: "Send reset link" }).click();
    await shows(page.getByRole("status").filter({ hasText: `If an account exists for ${user.email}` }));

    const resetMail = await app.mail.waitFor(user.email, { subject: /reset/i, since: resetSince - 1, timeoutMs: 10_000 });
    const resetLink = app.mail.linkFrom(resetMail, "/api/auth/reset-password");
    expect(new URL(resetLink).origin).toBe(app.url);
    await page.goto(resetLink);
    await shows(h1(page, "Choose a new password"));
    expect(new URL(page.url()).pathname).toBe("/reset-password");
    expect(new URL(page.url()).searchParams.get("token")).toBeTruthy();

    const newPassword = "lighthouse keepers hum in fog";
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByLabel("Confirm new password", { exact: true }).fill(newPassword);
    const changedSince = Date.now();
    await page.getByRole("button", { name: "Set new password" }).click();
    await shows(h1(page, "Password changed"));
    await app.mail.waitFor(user.email, { subject: /password was changed/i, since: changedSince - 1, timeoutMs: 10_000 });

    // The reset link works once.
    await page.goto(resetLink);
    await shows(h1(page, "This reset link isn't valid"));
    await page.getByRole("link", { name: "Request a new link" }).waitFor();

    // The old password no longer works; the new one does.
    const again = await openSignIn(page);
    await submitSignIn(again, { email: user.email, password: user.password });
    await shows(again.getByRole("alert").filter({ hasText: "That email and password don't match an account" }));
    await submitSignIn(again, { email: user.email, password: newPassword });
    await gone(again);
    await expectSignedIn(page, user.name);
  });

  it("the register form refuses a common password and one made of the reader's name, saying why", async () => {
    const { page } = await device();
    await page.goto("/");
    const dialog = await openRegister(page);
    const email = uniqueEmail("paula");
    const password = dialog.getByLabel("Password", { exact: true });

    // A common password: the live meter says why, before submitting.
    await fillRegister(dialog, { name: "Paula Example", email, password: "password123" });
    await expect.poll(() => textOf(strengthMeter(dialog)), { timeout: 10_000 }).toContain("commonly used passwords");
    expect(await strengthMeter(dialog).getAttribute("data-tone")).toBe("bad");

    // Submitting anyway: refused in the form, on the password field, nothing sent.
    await dialog.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
    const fieldError = dialog.locator(".field-error");
    await expect.poll(() => textOf(fieldError)).toContain("commonly used passwords");
    expect(await accessibleDescription(password)).toContain("commonly used passwords");
    expect(new URL(page.url()).pathname).toBe("/");

    // A password built from the reader's name.
    await dialog.getByLabel("Name", { exact: true }).fill("Theodora Quill");
    await password.fill("Theodora Quill 2024!");
    await expect.poll(() => textOf(strengthMeter(dialog)), { timeout: 10_000 }).toContain("based on your name or email address");
    await dialog.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => textOf(fieldError)).toContain("based on your name or email address");
    await shows(registerDialog(page));
    await axeCheck(page, "register dialog with a refused password");

    // The server holds the same line on its own (a client that skips the check gets the reason).
    const direct = await page.request.post("/api/auth/sign-up/email", {
      data: { name: "Paula Example", email, password: "password123" },
      headers: { origin: app.url },
    });
    expect(direct.status()).toBe(400);
    expect(await direct.json()).toMatchObject({ code: "PASSWORD_TOO_COMMON" });
    await sleep(300);
    expect(app.mail.mails.filter((m) => m.to.includes(email))).toHaveLength(0);
  });

  it("when the browser could not check the password, the server's refusal is shown in the form", async () => {
    const { context, page } = await device();
    // The password-policy chunk (zxcvbn + dictionaries) never arrives: only the server can judge.
    await context.route(/\/assets\/.*password-policy.*\.js$/, (route) => route.abort());
    await page.goto("/");
    const dialog = await openRegister(page);
    const email = uniqueEmail("offline");
    await fillRegister(dialog, { name: "Paula Example", email, password: "password123" });
    const signUp = page.waitForResponse((r) => r.url().endsWith("/api/auth/sign-up/email"));
    await dialog.getByRole("button", { name: "Create account" }).click();
    const res = await signUp;
    expect(res.status()).toBe(400);
    const password = dialog.getByLabel("Password", { exact: true });
    await expect.poll(() => password.getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => textOf(dialog.locator(".field-error"))).toContain("commonly used passwords");
    expect(new URL(page.url()).pathname).toBe("/");
  });
});

describe("sessions", () => {
  it("revoking another device's session from the account page signs that device out", async () => {
    const user = await app.createVerifiedUser({ name: "Katherine Johnson", email: uniqueEmail("katherine") });
    const a = await device();
    const b = await device();
    await signIn(a.page, user);
    await signIn(b.page, user);
    // B sits on its preferences page, loaded while its session was good.
    await b.page.goto("/account/preferences");
    await shows(b.page.getByRole("radio", { name: "Dark" }));

    // A lists its sessions and revokes B's (told apart by B's address).
    await userMenu(a.page, user.name, "Account");
    await shows(h1(a.page, "Account"));
    const sessions = a.page.getByRole("region", { name: "Sessions" });
    await shows(sessions.getByText("This device"));
    const revokeB = sessions.getByRole("button", { name: new RegExp(`^Revoke session on .*\\(${escapeRe(b.ip)}\\)$`) });
    await shows(revokeB);
    expect(await sessions.getByRole("button", { name: new RegExp(escapeRe(a.ip)) }).count()).toBe(0);
    await revokeB.click();
    await shows(sessions.getByRole("status").filter({ hasText: /^Signed out / }));
    await gone(revokeB);

    // B's next API call finds its session gone and asks it to sign in again.
    await b.page.getByRole("radio", { name: "Dark" }).check();
    const prompt = signInDialog(b.page);
    await shows(prompt);
    await shows(prompt.getByText("Your session has ended. Sign in again to carry on where you were."));
    // B declines: it is signed out, and stays so after a reload.
    await prompt.getByRole("button", { name: "Close" }).click();
    await expectSignedOut(b.page);
    await b.page.reload();
    await expectSignedOut(b.page);
    await shows(h1(b.page, "Sign in to see your preferences"));
    const me = await b.page.request.get("/api/v1/me");
    expect(me.status()).toBe(401);

    // A is still signed in.
    await a.page.reload();
    await expectSignedIn(a.page, user.name);
    await shows(h1(a.page, "Account"));
  });

  it("a second tab follows sign-in and sign-out in the first without reloading", async () => {
    const user = await app.createVerifiedUser({ name: "Hedy Lamarr", email: uniqueEmail("hedy") });
    const { context, page: tab1 } = await device();
    const tab2 = await context.newPage();
    await tab1.goto("/");
    await tab2.goto(`/read/${chapter(0).slug}`);
    await expectSignedOut(tab2);
    // A marker that a reload would wipe.
    await tab2.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    // The reader works in the first tab (a background tab gets no animation frames, which
    // Playwright's clicks wait for). Nothing below focuses the second tab: only the
    // BroadcastChannel message can tell it.
    await tab1.bringToFront();

    await signIn(tab1, user);
    await expectSignedIn(tab2, user.name, 5_000);

    await signOut(tab1, user.name);
    await expectSignedOut(tab2, 5_000);
    expect(await tab2.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
  });
});

describe("accessibility", () => {
  it("every page has no serious or critical axe finding, in light and dark", async () => {
    const user = await app.createVerifiedUser({ name: "Alan Turing", email: uniqueEmail("alan") });
    for (const scheme of ["light", "dark"] as const) {
      const { page } = await device({ colorScheme: scheme });
      const check = (label: string) => axeCheck(page, `${label} [${scheme}]`);
      await page.goto("/");
      await shows(h1(page, book.title));
      await expectTheme(page, scheme);
      await check("home");

      await page.goto(`/read/${chapter(0).slug}`);
      await shows(h1(page, chapter(0).title));
      await check("chapter");

      await page.goto("/");
      await openSignIn(page);
      await check("sign-in dialog");
      await page.keyboard.press("Escape");
      await gone(signInDialog(page));

      const reg = await openRegister(page);
      await fillRegister(reg, { name: "Alan Turing", email: "alan@example.com", password: "turing" });
      await shows(reg.getByRole("paragraph").filter({ hasText: "too short" }));
      await check("register dialog (meter: too short)");
      await reg.getByLabel("Password", { exact: true }).fill("enigma rotors click softly");
      await expect.poll(() => textOf(strengthMeter(reg)), { timeout: 10_000 }).toMatch(/Password strength/);
      await check("register dialog (meter: score)");

      await page.goto("/sign-in");
      await shows(signInDialog(page));
      await check("/sign-in");
      await page.goto("/register");
      await shows(registerDialog(page));
      await check("/register");

      await page.goto("/check-email?email=alan%40example.com");
      await shows(h1(page, "Check your email"));
      await check("check-email");

      await page.goto("/verified");
      await shows(h1(page, "Email verified"));
      await shows(page.getByText("Sign in to continue."));
      await check("verified (signed out)");
      for (const [error, title] of [
        ["TOKEN_EXPIRED", "This link has expired"],
        ["TOKEN_ALREADY_USED", "This link has already been used"],
        ["INVALID_TOKEN", "This link isn't valid"],
        ["invalid_token", "This link isn't valid"],
      ] as const) {
        await page.goto(`/verified?error=${error}`);
        await shows(h1(page, title));
        await check(`verified?error=${error}`);
      }

      await page.goto("/forgot-password");
      await shows(h1(page, "Reset your password"));
      await check("forgot-password");

      await page.goto("/reset-password?token=not-a-real-token");
      await shows(h1(page, "Choose a new password"));
      await page.getByLabel("New password", { exact: true }).fill("short");
      await check("reset-password");
      await page.goto("/reset-password?error=INVALID_TOKEN");
      await shows(h1(page, "This reset link isn't valid"));
      await check("reset-password (invalid link)");

      await page.goto("/account");
      await shows(h1(page, "Sign in to see your account"));
      await check("account (signed out)");

      await page.goto("/does-not-exist");
      await shows(page.getByRole("heading", { level: 1 }));
      await check("not found");

      await signIn(page, user);
      await page.goto("/account");
      await shows(h1(page, "Account"));
      await shows(page.getByRole("region", { name: "Sessions" }).getByText("This device"));
      await check("account");

      await page.goto("/account/preferences");
      await shows(page.getByRole("radio", { name: "Dark" }));
      await page.getByRole("radio", { name: scheme === "dark" ? "Dark" : "Light" }).check();
      await shows(page.getByRole("status").filter({ hasText: "Theme saved." }));
      await check("preferences");

      await page.goto("/verified");
      await shows(page.getByText(`Thank you, ${user.name}.`));
      await check("verified (signed in)");
      await signOut(page, user.name);
    }
  });
});

describe("screenshots for the README", () => {
  it("home, chapter (desktop and phone), register with the meter, account, preferences in dark", async () => {
    const { page } = await device({ viewport: DESKTOP });
    await page.goto("/");
    await shows(h1(page, book.title));
    await expectSignedOut(page); // the header's placeholder has given way to the buttons
    await screenshot(page, "home");

    await page.goto(`/read/${chapter(0).slug}`);
    await shows(h1(page, chapter(0).title));
    await expectSignedOut(page);
    await screenshot(page, "chapter");

    await page.goto("/");
    const reg = await openRegister(page);
    await fillRegister(reg, { name: "Ada Lovelace", email: "ada@example.com", password: "analytical engine weaves algebra" });
    await expect.poll(() => textOf(strengthMeter(reg)), { timeout: 10_000 }).toMatch(/Password strength: (Good|Strong)/);
    // The meter reads out after a pause; let it settle before the picture.
    await sleep(1000);
    await screenshot(page, "register");
    await page.keyboard.press("Escape");
    await gone(reg);

    const user = await app.createVerifiedUser({ name: "Ada Lovelace", email: "ada.lovelace@example.com" });
    await signIn(page, user);
    await page.goto("/account");
    await shows(h1(page, "Account"));
    await shows(page.getByRole("region", { name: "Sessions" }).getByText("This device"));
    await screenshot(page, "account");

    await page.goto("/account/preferences");
    await page.getByRole("radio", { name: "Dark" }).check();
    await shows(page.getByRole("status").filter({ hasText: "Theme saved." }));
    await expectTheme(page, "dark");
    await screenshot(page, "preferences-dark");

    const phone = await device({ viewport: PHONE });
    await phone.page.goto(`/read/${chapter(0).slug}`);
    await shows(h1(phone.page, chapter(0).title));
    await expectSignedOut(phone.page);
    await screenshot(phone.page, "chapter-phone");
  });
});

// Last on purpose: its user signed up in beforeAll, and the server sends at most one verification
// mail a minute per address; by now that minute has (nearly) passed.
describe("before verifying", () => {
  it("signing in before verifying explains that a new link was sent, and it was", async () => {
    // One verification mail a minute per address: wait out the one sent at sign-up.
    const wait = unverified.signedUpAt + 61_000 - Date.now();
    if (wait > 0) await sleep(wait);
    const { page } = await device();
    await page.goto("/");
    const dialog = await openSignIn(page);
    const since = Date.now();
    await submitSignIn(dialog, unverified);
    const alert = dialog.getByRole("alert");
    await expect
      .poll(() => textOf(alert))
      .toContain("Your email address isn't verified yet. We've sent you a new verification link: open it to finish signing up.");
    await expectSignedOut(page);
    await axeCheck(page, "sign-in dialog (email not verified)");

    // The new link arrived and works.
    const mail = await app.mail.waitFor(unverified.email, { subject: /verify/i, since: since - 1, timeoutMs: 10_000 });
    await dialog.getByRole("link", { name: "Go to the check-your-email page" }).click();
    await shows(h1(page, "Check your email"));
    await page.goto(app.mail.linkFrom(mail, "/api/auth/verify-email"));
    await page.waitForLoadState("load");
    // Like the sign-up link, it lands on the page that confirms the address (and shows link errors).
    expect(new URL(page.url()).pathname, `the new link landed on ${page.url()}`).toBe("/verified");
    await shows(h1(page, "Email verified"));
    await expectSignedIn(page, unverified.name);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The accessible description of an element (what aria-describedby points at), as text. */
async function accessibleDescription(locator: import("playwright-core").Locator): Promise<string> {
  return locator.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => document.getElementById(id)?.textContent ?? "")
      .join(" ")
      .replace(/\s+/g, " ")
      .trim(),
  );
}
