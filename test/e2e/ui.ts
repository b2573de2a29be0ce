/**
 * What a reader does in the web app, in words a reader would use: accessible roles and names
 * from src/web (header buttons, dialog titles, field labels), never CSS classes.
 * playwright-core has no auto-retrying `expect`, so waits are explicit: `shows(locator)` and
 * vitest's `expect.poll`.
 */
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import type { TestUser } from "./harness.ts";

const WAIT_MS = 10_000;

/** Wait until the locator is visible (throws with the locator in the message otherwise). */
export async function shows(locator: Locator, timeout = WAIT_MS): Promise<Locator> {
  await locator.first().waitFor({ state: "visible", timeout });
  return locator;
}

/** Wait until nothing matches the locator (or it is hidden). */
export async function gone(locator: Locator, timeout = WAIT_MS): Promise<void> {
  await locator.first().waitFor({ state: "hidden", timeout });
}

/** Text of the first match, whitespace collapsed, once it is visible. */
export async function textOf(locator: Locator): Promise<string> {
  await shows(locator);
  return ((await locator.first().textContent()) ?? "").replace(/\s+/g, " ").trim();
}

export const header = (page: Page) => page.getByRole("banner");
export const signInDialog = (page: Page) => page.getByRole("dialog", { name: "Sign in" });
export const registerDialog = (page: Page) => page.getByRole("dialog", { name: "Create your account" });
export const h1 = (page: Page, name: string | RegExp) => page.getByRole("heading", { level: 1, name });

/** The header's menu button, named after the signed-in reader. */
export const userMenuButton = (page: Page, name: string) => header(page).getByRole("button", { name, exact: true });
export const headerSignInButton = (page: Page) => header(page).getByRole("button", { name: "Sign in", exact: true });
export const headerRegisterButton = (page: Page) => header(page).getByRole("button", { name: "Register", exact: true });

/** The header says who is signed in. */
export async function expectSignedIn(page: Page, name: string, timeout = WAIT_MS): Promise<void> {
  await shows(userMenuButton(page, name), timeout);
  expect(await headerSignInButton(page).count()).toBe(0);
}

/** The header offers Sign in and Register. */
export async function expectSignedOut(page: Page, timeout = WAIT_MS): Promise<void> {
  await shows(headerSignInButton(page), timeout);
  await shows(headerRegisterButton(page), timeout);
}

/** Open the register dialog from the header. */
export async function openRegister(page: Page): Promise<Locator> {
  await headerRegisterButton(page).click();
  const dialog = registerDialog(page);
  await shows(dialog);
  return dialog;
}

/** Open the sign-in dialog from the header. */
export async function openSignIn(page: Page): Promise<Locator> {
  await headerSignInButton(page).click();
  const dialog = signInDialog(page);
  await shows(dialog);
  return dialog;
}

export async function fillRegister(dialog: Locator, user: Pick<TestUser, "name" | "email" | "password">): Promise<void> {
  await dialog.getByLabel("Name", { exact: true }).fill(user.name);
  await dialog.getByLabel("Email", { exact: true }).fill(user.email);
  await dialog.getByLabel("Password", { exact: true }).fill(user.password);
}

/** The live strength meter under the register form's password field. */
export const strengthMeter = (scope: Page | Locator) => scope.getByTestId("password-strength");

/** Fill and submit the sign-in dialog. */
export async function submitSignIn(dialog: Locator, user: Pick<TestUser, "email" | "password">): Promise<void> {
  const email = dialog.getByLabel("Email", { exact: true });
  await email.fill(user.email);
  await dialog.getByLabel("Password", { exact: true }).fill(user.password);
  await dialog.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Sign in from the header, as a reader would, and wait for the header to show their name. */
export async function signIn(page: Page, user: TestUser): Promise<void> {
  if (!page.url().startsWith("http")) await page.goto("/");
  await expectSignedOut(page);
  const before = new URL(page.url()).pathname;
  const dialog = await openSignIn(page);
  await submitSignIn(dialog, user);
  await gone(dialog);
  await expectSignedIn(page, user.name);
  // The dialog closes over the page the reader was on: signing in never navigates away.
  expect(new URL(page.url()).pathname, "sign-in should leave the reader where they were").toBe(before);
}

/** Open the reader's menu and pick an entry ("Account", "Preferences", "Staff console" links, "Sign out" button). */
export async function userMenu(page: Page, name: string, item: "Account" | "Preferences" | "Staff console" | "Sign out"): Promise<void> {
  await userMenuButton(page, name).click();
  const target =
    item === "Sign out"
      ? header(page).getByRole("button", { name: "Sign out", exact: true })
      : header(page).getByRole("link", { name: item, exact: true });
  await target.click();
}

export async function signOut(page: Page, name: string): Promise<void> {
  await userMenu(page, name, "Sign out");
  await expectSignedOut(page);
}

/** The theme the page shows now (`<html data-theme>`), as theme.ts sets it. */
export function shownTheme(page: Page): Promise<string | null> {
  return page.evaluate(() => document.documentElement.dataset.theme ?? null);
}

/** Wait until the page shows the given theme. */
export async function expectTheme(page: Page, theme: "light" | "dark"): Promise<void> {
  await expect.poll(() => shownTheme(page), { timeout: WAIT_MS, message: `theme should become ${theme}` }).toBe(theme);
}

/** Book metadata from the public API (titles to look for in the UI). */
export interface BookInfo {
  title: string;
  description: string | null;
  chapters: { slug: string; title: string; order: number }[];
}

export async function fetchBook(baseUrl: string): Promise<BookInfo> {
  const res = await fetch(`${baseUrl}/api/v1/book`);
  if (!res.ok) throw new Error(`GET /api/v1/book: ${res.status} ${await res.text()}`);
  return (await res.json()) as BookInfo;
}
