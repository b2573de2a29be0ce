/**
 * The staff console in the browser (issue 10, "The console"): an operator named in ADMIN_EMAILS
 * signs up, is led to set up two-step verification, signs in with a code and runs the site from
 * /staff; a moderator they appoint bans a reader, whose other browser is signed out at once.
 * Codes are computed here by RFC 6238 (test/support/totp.ts) from the URI the server gave.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { totpCode } from "../support/totp.ts";
import { ageSessions, axeCheck, e2eFile, PHONE, screenshot, STRONG_PASSWORD, uniqueEmail, type DeviceOptions, type TestUser } from "./harness.ts";
import { expectSignedIn, expectSignedOut, fillRegister, gone, h1, header, openRegister, openSignIn, shows, signIn, signOut, submitSignIn, userMenu } from "./ui.ts";

const operator: TestUser = { name: "Olive Operator", email: uniqueEmail("operator"), password: STRONG_PASSWORD };
const suite = e2eFile("staff-", { ADMIN_EMAILS: operator.email });
const device = suite.device;
// Made over HTTP before the tests: the moderator-to-be, the reader who is banned, three to page through.
let grace: TestUser;
let linus: TestUser;
const pagers = ["Pager One", "Pager Two", "Pager Three"];

/** The staff sessions the walk-through opens (signed in with a second factor), for the later tests. */
type Cookies = Awaited<ReturnType<BrowserContext["cookies"]>>;
const staffCookies: { admin?: Cookies } = {};
/** Linus's page in the console, once the walk-through has banned him. */
let linusPath = "";
/** The operator's recovery codes (the walk-through enrols a second factor). */
let operatorRecoveryCodes: string[] = [];

beforeAll(async () => {
  [grace, linus] = await Promise.all([
    suite.app.createVerifiedUser({ name: "Grace Hopper", email: uniqueEmail("grace") }),
    suite.app.createVerifiedUser({ name: "Linus Reader", email: uniqueEmail("linus") }),
    ...pagers.map((name) => suite.app.createVerifiedUser({ name, email: uniqueEmail("pager") })),
  ]);
});

// The console in a staff member's words.
const staffNav = (page: Page) => page.getByRole("navigation", { name: "Staff console" });
const accountsTable = (page: Page) => page.getByRole("table", { name: "Accounts" });
const rowLinks = (page: Page) => accountsTable(page).getByRole("rowheader").getByRole("link");
const searchBox = (page: Page) => page.getByRole("searchbox", { name: "Search by email or name" });
const region = (page: Page, name: string) => page.getByRole("region", { name, exact: true });
const actionDialog = (page: Page, name: string) => page.getByRole("dialog", { name });
const announced = (page: Page, text: string) => shows(page.getByTestId("announcer").filter({ hasText: text }));
const param = (page: Page, name: string) => new URL(page.url()).searchParams.get(name);

/** A staff device already signed in (with its second factor) as the walk-through left it. */
async function staffDevice(cookies: Cookies | undefined, opts: DeviceOptions = {}) {
  if (!cookies) throw new Error("the walk-through did not leave a staff session (it failed earlier)");
  const d = await device(opts);
  await d.context.addCookies(cookies);
  return d;
}

/** The page has no horizontal scroll (WCAG 1.4.10 reflow at 360 px). */
async function expectNoSideScroll(page: Page, what: string): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  expect(scroll, `${what} should not scroll sideways`).toBeLessThanOrEqual(width);
}

/** Turn on two-step verification from the account page as a reader does; the URI an authenticator would hold, and the code used. */
async function enrol(page: Page, user: TestUser): Promise<{ uri: string; used: string; codes: string[] }> {
  await shows(h1(page, "Account"));
  const two = region(page, "Two-step verification");
  await two.getByRole("button", { name: "Set up", exact: true }).click();
  await two.getByLabel("Password", { exact: true }).fill(user.password);
  const enabled = page.waitForResponse((r) => r.url().endsWith("/api/auth/two-factor/enable") && r.status() === 200);
  await two.getByRole("button", { name: "Continue" }).click();
  const { totpURI: uri } = (await (await enabled).json()) as { totpURI: string };
  const used = totpCode(uri);
  await two.getByLabel("6-digit code", { exact: true }).fill(used);
  await two.getByRole("button", { name: "Turn on" }).click();
  await shows(two.getByRole("heading", { name: "Save your recovery codes" }));
  const codes = (await two.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents()).map((c) => c.trim());
  await two.getByRole("button", { name: "I have saved them" }).click();
  await shows(two.getByText("On."));
  return { uri, used, codes };
}

/** A code not used yet: a code is good once, so the next window's if this one's was (the server accepts one window either side). */
const freshCode = (uri: string, used: string) => (totpCode(uri) === used ? totpCode(uri, Date.now(), 1) : totpCode(uri));

/** Search the readers list from the staff nav and follow the one account it finds. */
async function findAccount(page: Page, search: string): Promise<void> {
  await staffNav(page).getByRole("link", { name: "Readers" }).click();
  await shows(h1(page, "Readers"));
  await searchBox(page).fill(search);
  await expect.poll(() => param(page, "q"), { message: "the search should reach the URL" }).toBe(search);
  await expect.poll(() => rowLinks(page).count(), { message: `the search for ${search} should find one account` }).toBe(1);
  await rowLinks(page).click();
}

async function openAccount(page: Page, search: string, name: string): Promise<void> {
  await findAccount(page, search);
  await shows(h1(page, name));
}

/** Open an action's confirmation from the account page's Actions. */
async function startAction(page: Page, button: string, dialogName: string): Promise<Locator> {
  await region(page, "Actions").getByRole("button", { name: button, exact: true }).click();
  const dialog = actionDialog(page, dialogName);
  await shows(dialog);
  return dialog;
}

describe("the staff console", () => {
  it("the operator's walk-through: sign up, led to a second factor, overview, a moderator appointed, who bans a reader signed out at once", async () => {
    // A reader is signed in on their own browser before anything happens.
    const reader = await device();
    await signIn(reader.page, linus);

    // The operator signs up; ADMIN_EMAILS makes the verified address an admin.
    const { page, context } = await device();
    await page.goto("/");
    const register = await openRegister(page);
    await fillRegister(register, operator);
    const since = Date.now();
    await register.getByRole("button", { name: "Create account" }).click();
    await shows(h1(page, "Check your email"));
    const mail = await suite.app.mail.waitFor(operator.email, { subject: /verify/i, since: since - 1, timeoutMs: 10_000 });
    await page.goto(suite.app.mail.linkFrom(mail, "/api/auth/verify-email"));
    await expectSignedIn(page, operator.name);

    // The console is in the menu; it asks for a second factor first and leads to where it is set up.
    await userMenu(page, operator.name, "Staff console");
    await shows(h1(page, "Two-step verification needed"));
    await axeCheck(page, "staff: second factor needed");
    await page.getByRole("link", { name: "Set up two-step verification" }).click();
    const { uri, used, codes } = await enrol(page, operator);
    operatorRecoveryCodes = codes;

    // Signed in again with the code from the app, the console opens on its overview.
    await signOut(page, operator.name);
    const signInForm = await openSignIn(page);
    await submitSignIn(signInForm, operator);
    await signInForm.getByLabel("6-digit code", { exact: true }).fill(freshCode(uri, used));
    await signInForm.getByRole("button", { name: "Verify" }).click();
    await gone(signInForm);
    await userMenu(page, operator.name, "Staff console");
    await shows(h1(page, "Overview"));
    const accounts = region(page, "Accounts");
    await shows(accounts.getByRole("listitem").filter({ hasText: "Admins" }).filter({ hasText: "1" }));
    await shows(accounts.getByRole("listitem").filter({ hasText: "With two-step verification" }).filter({ hasText: "1" }));
    const signUps = page.getByRole("img", { name: /^Sign-ups per day, .*: \d+ in all, at most \d+ on / });
    await shows(signUps);
    await page.getByText("Numbers by day: sign-ups").click();
    await shows(page.getByRole("table", { name: "Sign-ups per day" }));
    expect(await staffNav(page).getByRole("link", { name: "Overview" }).getAttribute("aria-current")).toBe("page");
    await axeCheck(page, "staff: overview");
    staffCookies.admin = await context.cookies();

    // Grace is found by part of her name and made a moderator, with a reason.
    await openAccount(page, "grace h", grace.name);
    await axeCheck(page, "staff: an account (admin)");
    const roleDialog = await startAction(page, "Change role…", `Change ${grace.name}'s role?`);
    await roleDialog.getByLabel("New role").selectOption("moderator");
    await roleDialog.getByLabel("Reason (optional)").fill("Helps with the community");
    await axeCheck(page, "staff: the change-role dialog");
    await roleDialog.getByRole("button", { name: "Change role", exact: true }).click();
    await gone(roleDialog);
    await announced(page, `${grace.name} is now a moderator.`);
    await shows(region(page, "Profile").getByText("Moderator", { exact: true }));
    await shows(region(page, "Security activity").getByRole("listitem").filter({ hasText: "Role changed (now Moderator)" }).filter({ hasText: "Reason: Helps with the community" }));
    // Focus is back on the actions, whose buttons may have changed.
    await expect.poll(() => region(page, "Actions").getByRole("heading", { name: "Actions" }).evaluate((el) => el === document.activeElement)).toBe(true);

    // Grace signs in, is led to set up her own second factor, and then has the console.
    const mod = await device();
    await signIn(mod.page, grace);
    await userMenu(mod.page, grace.name, "Staff console");
    await shows(h1(mod.page, "Two-step verification needed"));
    await mod.page.getByRole("link", { name: "Set up two-step verification" }).click();
    await enrol(mod.page, grace);
    await userMenu(mod.page, grace.name, "Staff console");
    await shows(h1(mod.page, "Overview"));

    // A moderator sees no audit log and no admin actions, and cannot open staff accounts.
    expect(await staffNav(mod.page).getByRole("link").allTextContents()).toEqual(["Overview", "Readers"]);
    await mod.page.goto("/staff/audit");
    await shows(h1(mod.page, "This page is not for your account"));
    await mod.page.goto("/staff");
    await findAccount(mod.page, operator.email);
    await shows(h1(mod.page, "Only admins can open this account"));

    // She finds Linus and bans him for a week; the reason is required.
    await openAccount(mod.page, linus.email, linus.name);
    const actions = region(mod.page, "Actions");
    expect(await actions.getByRole("button").allTextContents()).toEqual(["Ban…", "Sign out everywhere…"]);
    const ban = await startAction(mod.page, "Ban…", `Ban ${linus.name}?`);
    await ban.getByRole("button", { name: "Ban", exact: true }).click();
    await shows(ban.getByText("Say why: the reader sees the reason in their account's activity."));
    await ban.getByLabel("7 days").check();
    await ban.getByLabel("Reason", { exact: true }).fill("Spam in the chat");
    await ban.getByRole("button", { name: "Ban", exact: true }).click();
    await gone(ban);
    await announced(mod.page, `${linus.name} is banned for 7 days.`);
    await shows(region(mod.page, "Profile").getByText("Reason: Spam in the chat"));
    const banEvent = region(mod.page, "Security activity").getByRole("listitem").filter({ hasText: "Account suspended" });
    await shows(banEvent.filter({ hasText: "by you" }).filter({ hasText: "Reason: Spam in the chat" }));
    expect(await actions.getByRole("button").allTextContents()).toEqual(["Lift the ban…", "Sign out everywhere…"]);

    // His other browser is signed out at its next request.
    await reader.page.reload();
    await expectSignedOut(reader.page);

    // The admin sees the ban in his activity and in the audit log, and can download it.
    await openAccount(page, linus.email, linus.name);
    await shows(region(page, "Security activity").getByRole("listitem").filter({ hasText: "Account suspended" }).filter({ hasText: "by a moderator" }));
    linusPath = new URL(page.url()).pathname;
    await page.getByRole("link", { name: "All of this account's events in the audit log" }).click();
    await shows(h1(page, "Audit log"));
    const banRow = page.getByRole("table", { name: "Events, newest first" }).getByRole("row").filter({ hasText: "Account suspended" });
    await shows(banRow.filter({ hasText: "Spam in the chat" }).filter({ hasText: "a moderator" }));
    await shows(page.getByText(`Events of ${linus.name} (${linus.email}).`));
    await axeCheck(page, "staff: audit log");
    const csvHref = await page.getByRole("link", { name: "Download CSV" }).getAttribute("href");
    expect(new URL(csvHref!, suite.app.url).searchParams.get("format")).toBe("csv");
    const csv = await page.request.get(csvHref!);
    expect(csv.status()).toBe(200);
    expect(await csv.text()).toMatch(/user_banned.*Spam in the chat/);
  });

  it("search, filters, sorting and pages live in the URL: reload, back and forward show the same list", async () => {
    const { page } = await staffDevice(staffCookies.admin);
    await page.goto("/staff/users");
    await shows(h1(page, "Readers"));
    await searchBox(page).fill("pager");
    await expect.poll(() => param(page, "q")).toBe("pager");
    await shows(page.getByRole("status").filter({ hasText: "3 accounts." }));
    await axeCheck(page, "staff: readers");

    await page.getByLabel("Sort by").selectOption({ label: "Name, A to Z" });
    await expect.poll(() => rowLinks(page).locator(".account-name").allTextContents()).toEqual(["Pager One", "Pager Three", "Pager Two"]);
    await page.reload();
    await shows(accountsTable(page));
    expect(await searchBox(page).inputValue()).toBe("pager");
    expect(await page.getByLabel("Sort by").inputValue()).toBe("name:asc");
    await expect.poll(() => rowLinks(page).count()).toBe(3);

    // A filter nobody matches, then back.
    await page.getByLabel("Banned").selectOption({ label: "Banned" });
    await shows(page.getByRole("heading", { name: "No readers match" }));
    await page.goBack();
    await expect.poll(() => rowLinks(page).count()).toBe(3);
    expect(param(page, "banned")).toBeNull();

    // Pages: two a page (a link may carry the page size), next, and back.
    await page.goto("/staff/users?q=pager&sort=name&order=asc&limit=2");
    await shows(page.getByRole("status").filter({ hasText: "3 accounts, page 1 of 2." }));
    await page.getByRole("navigation", { name: "Pages of accounts" }).getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => rowLinks(page).locator(".account-name").allTextContents()).toEqual(["Pager Two"]);
    expect(param(page, "page")).toBe("2");
    await page.goBack();
    await expect.poll(() => rowLinks(page).locator(".account-name").allTextContents()).toEqual(["Pager One", "Pager Three"]);
    await page.goForward();
    await expect.poll(() => rowLinks(page).locator(".account-name").allTextContents()).toEqual(["Pager Two"]);

    // Filtered by role from the URL.
    await page.goto("/staff/users?role=moderator");
    await expect.poll(() => rowLinks(page).locator(".account-name").allTextContents()).toEqual([grace.name]);
  });

  it("a reader has no staff link and /staff is not for them; staff end one of their sessions", async () => {
    const reader = await suite.app.createVerifiedUser({ name: "Rita Reader", email: uniqueEmail("rita") });
    const [kept, ended] = [await device(), await device()];
    await signIn(kept.page, reader);
    await signIn(ended.page, reader);
    await header(kept.page).getByRole("button", { name: reader.name, exact: true }).click();
    await shows(header(kept.page).getByRole("link", { name: "Preferences" }));
    expect(await header(kept.page).getByRole("link", { name: "Staff console" }).count()).toBe(0);
    await kept.page.goto("/staff/users");
    await shows(h1(kept.page, "This page is not for your account"));
    await axeCheck(kept.page, "staff: not for your account");

    const { page } = await staffDevice(staffCookies.admin);
    await page.goto("/staff");
    await openAccount(page, reader.email, reader.name);
    const sessions = region(page, "Sessions");
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(2);
    await sessions.getByRole("button", { name: new RegExp(`^End session on .* \\(${ended.ip.replace(/\./g, "\\.")}\\)$`) }).click();
    const dialog = actionDialog(page, "End this session?");
    await dialog.getByRole("button", { name: "End session", exact: true }).click();
    await gone(dialog);
    await announced(page, `Ended ${reader.name}'s session`);
    await expect.poll(() => sessions.getByRole("listitem").count()).toBe(1);
    await shows(sessions.getByText(`IP address ${kept.ip}`));

    await ended.page.reload();
    await expectSignedOut(ended.page);
    await kept.page.reload();
    await expectSignedIn(kept.page, reader.name);
  });

  it("pictures for the README, each page freshly opened (no passing notice over it)", async () => {
    if (!linusPath) throw new Error("the walk-through did not get as far as the ban");
    const { page } = await staffDevice(staffCookies.admin);
    await page.goto("/staff");
    await shows(page.getByRole("img", { name: /^Sign-ups per day/ }));
    await screenshot(page, "staff-overview");
    await page.goto("/staff/users?sort=name&order=asc");
    await shows(rowLinks(page).filter({ hasText: linus.name }));
    await screenshot(page, "staff-readers");
    await page.goto(linusPath);
    await shows(h1(page, linus.name));
    await screenshot(page, "staff-reader");
    await page.goto(`/staff/audit?target=${linusPath.split("/").pop()}`);
    await shows(page.getByText(`Events of ${linus.name}`));
    await screenshot(page, "staff-audit");
  });

  it("on a phone: the overview and the readers list fit 360 px, without sideways scrolling", async () => {
    const { page } = await staffDevice(staffCookies.admin, { viewport: PHONE });
    await page.goto("/staff");
    await shows(h1(page, "Overview"));
    await shows(page.getByRole("img", { name: /^Questions per day/ }));
    await expectNoSideScroll(page, "the overview");
    await axeCheck(page, "staff: overview (phone)");
    await page.goto("/staff/users");
    await shows(accountsTable(page));
    await expectNoSideScroll(page, "the readers list");
    await axeCheck(page, "staff: readers (phone)");
  });

  it("an admin signed in long ago confirms it's them (password, then a recovery code) before a role changes; nothing else is asked again", async () => {
    if (!operatorRecoveryCodes.length) throw new Error("the walk-through did not enrol the operator");
    // Last: signing in again in place ends the session the other tests borrow.
    const { page } = await staffDevice(staffCookies.admin);
    ageSessions(suite.app, operator.email, 11);
    await page.goto("/staff/users?q=pager%20one");
    await rowLinks(page).click();
    await shows(h1(page, "Pager One"));
    const roleDialog = await startAction(page, "Change role…", "Change Pager One's role?");
    await roleDialog.getByLabel("New role").selectOption("moderator");
    await roleDialog.getByRole("button", { name: "Change role", exact: true }).click();

    const confirm = page.getByRole("dialog", { name: "Confirm it's you" });
    await shows(confirm);
    await confirm.getByLabel("Password", { exact: true }).fill(operator.password);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    const code = confirm.getByLabel("Code", { exact: true });
    await shows(code);
    await axeCheck(page, "staff: confirm it's you, the code");
    // The app's codes of this minute were used by the walk-through's sign-ins: a recovery code.
    await code.fill(operatorRecoveryCodes[0]!);
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await gone(confirm);
    await announced(page, "Pager One is now a moderator.");
    await shows(region(page, "Profile").getByText("Moderator", { exact: true }));
  });
});
