/**
 * Two-step verification in the browser (issue 10, the web part): a reader sets it up from the
 * account page with the key shown there, keeps the recovery codes, and signs in with a code from
 * the authenticator app and with a recovery code. Codes are computed here by RFC 6238
 * (test/support/totp.ts) from the key the page shows, as an authenticator app would.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { qrPath } from "../../src/web/ui/qr-path.ts";
import { totpCode } from "../support/totp.ts";
import { axeCheck, e2eFile, PHONE, REPO_ROOT, uniqueEmail, type TestUser } from "./harness.ts";
import { expectSignedIn, expectSignedOut, gone, h1, openSignIn, shows, signIn, signInDialog, signOut, submitSignIn, textOf } from "./ui.ts";

const suite = e2eFile("two-factor-");
const device = suite.device;

// The account page's section and the sign-in dialog's code step, in a reader's words.
const section = (page: Page) => page.getByRole("region", { name: "Two-step verification" });
const codeField = (scope: Locator) => scope.getByLabel("6-digit code", { exact: true });
const recoveryField = (scope: Locator) => scope.getByLabel("Recovery code", { exact: true });
const isFocused = (locator: Locator) => locator.evaluate((el) => el === document.activeElement);

async function expectFocused(locator: Locator, what: string): Promise<void> {
  await expect.poll(() => isFocused(locator), { message: `${what} should have focus` }).toBe(true);
}

/** A full-page picture for a person to look at (test-results/, not committed: the keys in it are a test's). */
async function look(page: Page, name: string): Promise<void> {
  const dir = path.join(REPO_ROOT, "test-results/e2e/two-factor");
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: "disabled", caret: "hide" });
}

/** The `otpauth://` URI an authenticator app would hold after the reader typed `key` into it. */
const uriFor = (key: string) => `otpauth://totp/AI%20Book:reader?secret=${key.replace(/\s/g, "")}&issuer=AI%20Book&digits=6&period=30`;

/** A code the server refuses: ten windows away from now. */
const wrongCode = (uri: string) => totpCode(uri, Date.now(), 10);

/** Password, then the code step of the sign-in dialog. */
async function signInToCodeStep(page: Page, user: TestUser): Promise<Locator> {
  if (!page.url().startsWith("http")) await page.goto("/");
  const dialog = await openSignIn(page);
  await submitSignIn(dialog, user);
  await shows(codeField(dialog));
  return dialog;
}

/** Turn it on from the account page as a reader does; returns the key the page showed and the recovery codes. */
async function enrol(page: Page, user: TestUser, opts: { check?: string } = {}): Promise<{ key: string; codes: string[]; enrolCode: string }> {
  await page.goto("/account");
  await shows(h1(page, "Account"));
  const two = section(page);
  await shows(two.getByText("Off."));
  await two.getByRole("button", { name: "Set up", exact: true }).click();

  // The password first; a wrong one is said at the field.
  const password = two.getByLabel("Password", { exact: true });
  await expectFocused(password, "the password field");
  await password.fill("not the password at all");
  await two.getByRole("button", { name: "Continue" }).click();
  await shows(two.getByText("That password isn't right."));
  await password.fill(user.password);
  const enabled = page.waitForResponse((r) => r.url().endsWith("/api/auth/two-factor/enable") && r.status() === 200);
  await two.getByRole("button", { name: "Continue" }).click();
  const { totpURI } = (await (await enabled).json()) as { totpURI: string };

  // The QR code is the server's URI, drawn in the page; the key in text is the URI's secret, in fours.
  const setupHeading = two.getByRole("heading", { name: "Set up your authenticator app" });
  await shows(setupHeading);
  await expectFocused(setupHeading, "the setup step's heading");
  const qr = two.getByRole("img", { name: "QR code for your authenticator app" });
  expect(await qr.locator("path").getAttribute("d")).toBe(qrPath(totpURI).d);
  const key = await textOf(two.getByRole("code"));
  expect(key).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/);
  expect(key.replace(/ /g, "")).toBe(new URL(totpURI).searchParams.get("secret"));
  // On a phone the step scrolls the page, and whatever then sits under the fixed header (the
  // password section's checkbox) reads to axe as a crowded target: there, only this section is checked.
  const axeScope = opts.check === "phone" ? { include: "section:has(> #two-factor-title)" } : {};
  if (opts.check) {
    await axeCheck(page, `account: two-step verification setup (${opts.check})`, axeScope);
    await look(page, `account-setup-${opts.check}`);
  }

  // A wrong first code keeps it off; the app's code turns it on.
  const uri = uriFor(key);
  const first = codeField(two);
  await first.fill(wrongCode(uri));
  await two.getByRole("button", { name: "Turn on" }).click();
  await shows(two.getByText("That code isn't right."));
  const enrolCode = totpCode(uri);
  await first.fill(enrolCode);
  await two.getByRole("button", { name: "Turn on" }).click();

  // The recovery codes, once: ten of them, and the same ten in the downloaded file.
  const codesHeading = two.getByRole("heading", { name: "Save your recovery codes" });
  await shows(codesHeading);
  await expectFocused(codesHeading, "the recovery codes' heading");
  await shows(two.getByRole("status").filter({ hasText: "Two-step verification is on." }));
  const codes = (await two.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  for (const c of codes) expect(c).toMatch(/^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/);
  if (opts.check) {
    await axeCheck(page, `account: recovery codes (${opts.check})`, axeScope);
    await look(page, `account-recovery-codes-${opts.check}`);
  }
  const [download] = await Promise.all([page.waitForEvent("download"), two.getByRole("link", { name: "Download recovery codes" }).click()]);
  expect(download.suggestedFilename()).toBe("ai-book-recovery-codes.txt");
  const file = readFileSync(await download.path(), "utf8");
  expect(file).toContain(`Account: ${user.email}`);
  expect(file.split("\n").filter((l) => /^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/.test(l))).toEqual(codes);

  await two.getByRole("button", { name: "I have saved them" }).click();
  await gone(codesHeading);
  await shows(two.getByText("On."));
  await expectFocused(two.getByRole("heading", { name: "Two-step verification", level: 2 }), "the section's heading");
  return { key, codes, enrolCode };
}

describe("two-step verification", () => {
  it("a reader sets it up on the account page, then signs in with a code (keyboard only, trusting the device, then forgetting it) and, on another device, with a recovery code", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Radia Perlman", email: uniqueEmail("radia") });
    const a = await device();
    await signIn(a.page, user);
    const { key, codes, enrolCode } = await enrol(a.page, user, { check: "desktop" });
    const uri = uriFor(key);
    await signOut(a.page, user.name);

    // The password alone opens no session now: the dialog asks for the code, focus in its field.
    const dialog = await signInToCodeStep(a.page, user);
    const field = codeField(dialog);
    await expectFocused(field, "the code field");
    expect((await a.page.request.get("/api/v1/me")).status()).toBe(401);
    await expectSignedOut(a.page);
    await axeCheck(a.page, "sign-in: code step");

    // Keyboard only: a wrong code is refused and selected for retyping; then the right code,
    // Tab to "Trust this device", Space, Tab to Verify, Enter.
    await a.page.keyboard.type(wrongCode(uri));
    await a.page.keyboard.press("Enter");
    await shows(dialog.getByRole("alert").filter({ hasText: "That code isn't right." }));
    await expectFocused(field, "the code field, after a wrong code");
    const verify = dialog.getByRole("button", { name: "Verify" });
    // Ready for the next try, and drawn so (axe once measured it still at its busy opacity).
    await expect
      .poll(() => verify.evaluate((b) => !(b as HTMLButtonElement).disabled && getComputedStyle(b).opacity === "1"), {
        message: "Verify should be ready for the next try",
      })
      .toBe(true);
    await axeCheck(a.page, "sign-in: code step with a wrong code");
    await look(a.page, "sign-in-wrong-code");
    // Not the code that confirmed the enrolment, should it still be the current one (ASVS 6.5.1).
    const now = totpCode(uri);
    await a.page.keyboard.type(now === enrolCode ? totpCode(uri, Date.now(), 1) : now);
    await a.page.keyboard.press("Tab");
    const trust = dialog.getByRole("checkbox", { name: "Trust this device for 30 days" });
    await expectFocused(trust, "the trust-this-device checkbox");
    await a.page.keyboard.press("Space");
    expect(await trust.isChecked()).toBe(true);
    await a.page.keyboard.press("Tab");
    await expectFocused(verify, "the Verify button");
    await a.page.keyboard.press("Enter");
    await gone(dialog);
    await expectSignedIn(a.page, user.name);
    await shows(a.page.getByTestId("announcer").filter({ hasText: "You're signed in." }));

    // This device is trusted now: its next sign-in needs the password only.
    await signOut(a.page, user.name);
    await signIn(a.page, user);

    // The account page lists it under Sessions; forgotten, its next sign-in asks for the code again.
    await a.page.goto("/account");
    const sessions = a.page.getByRole("region", { name: "Sessions" });
    const trusted = sessions.getByRole("list", { name: "Trusted devices" }).getByRole("listitem");
    await shows(trusted.filter({ hasText: "This device" }));
    expect(await trusted.count()).toBe(1);
    await axeCheck(a.page, "account: trusted devices", { include: "section[aria-labelledby='sessions-title']" });
    await sessions.getByRole("button", { name: /^Forget this device/ }).click();
    await shows(sessions.getByRole("status").filter({ hasText: "will be asked for a code at its next sign-in" }));
    await gone(sessions.getByRole("list", { name: "Trusted devices" }));
    await signOut(a.page, user.name);
    await signInToCodeStep(a.page, user);

    // Another device: the recovery code in place of the app.
    const b = await device();
    await b.page.goto("/");
    const other = await signInToCodeStep(b.page, user);
    await other.getByRole("button", { name: "Use a recovery code instead" }).click();
    const recovery = recoveryField(other);
    await expectFocused(recovery, "the recovery code field");
    await axeCheck(b.page, "sign-in: recovery code step");
    await look(b.page, "sign-in-recovery-code");
    await recovery.fill("abcde-fghij");
    await other.getByRole("button", { name: "Verify" }).click();
    await shows(other.getByRole("alert").filter({ hasText: "That recovery code isn't right, or it has been used already." }));
    await recovery.fill(codes[0]!);
    await other.getByRole("button", { name: "Verify" }).click();
    await gone(other);
    await expectSignedIn(b.page, user.name);
  });

  it("a sign-in waiting for its code (GitHub, a verification link) opens the dialog at the code step, then goes on", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Evelyn Boyd Granville", email: uniqueEmail("evelyn") });
    const { page } = await device();
    await signIn(page, user);
    const { key } = await enrol(page, user);
    await signOut(page, user.name);
    // The server's part (tested over HTTP in sign-in-paths-second-factor.test.ts): a challenge
    // pending in this browser, then a redirect to /sign-in?second-factor=1. Here the challenge
    // comes from a password sign-in in the same cookie jar, and the page is opened as redirected.
    const pending = await page.request.post("/api/auth/sign-in/email", { data: { email: user.email, password: user.password }, headers: { origin: suite.app.url } });
    expect(await pending.json()).toMatchObject({ twoFactorRedirect: true });
    await page.goto("/sign-in?second-factor=1&next=/account");
    const dialog = signInDialog(page);
    const field = codeField(dialog);
    await expectFocused(field, "the code field");
    await axeCheck(page, "sign-in: code step opened by URL");
    await field.fill(totpCode(uriFor(key), Date.now(), 1));
    await dialog.getByRole("button", { name: "Verify" }).click();
    await gone(dialog);
    await expectSignedIn(page, user.name);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/account");
  });

  it("a code step left too long goes back to the password, saying why", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Mary Jackson", email: uniqueEmail("mary") });
    const { context, page } = await device();
    await signIn(page, user);
    const { key } = await enrol(page, user);
    await signOut(page, user.name);

    const dialog = await signInToCodeStep(page, user);
    // Better Auth's challenge cookie lasts ten minutes; without it the server answers as if they had passed.
    const challenge = (await context.cookies()).filter((c) => c.name.endsWith("two_factor"));
    expect(challenge).toHaveLength(1);
    await context.clearCookies({ name: challenge[0]!.name });
    await codeField(dialog).fill(totpCode(uriFor(key), Date.now(), 1));
    await dialog.getByRole("button", { name: "Verify" }).click();
    await shows(dialog.getByRole("alert").filter({ hasText: "This sign-in took too long. Enter your password again." }));
    const password = dialog.getByLabel("Password", { exact: true });
    await expectFocused(password, "the password field");
    await look(page, "sign-in-challenge-expired");
    expect(await dialog.getByLabel("Email", { exact: true }).inputValue()).toBe(user.email);
    expect(await password.inputValue()).toBe("");

    // And it starts again from there.
    await password.fill(user.password);
    await dialog.getByRole("button", { name: "Sign in", exact: true }).click();
    await shows(codeField(dialog));
    // The enrolment used this window's code, and a code is good once: the next window's (accepted too).
    await codeField(dialog).fill(totpCode(uriFor(key), Date.now(), 1));
    await dialog.getByRole("button", { name: "Verify" }).click();
    await gone(signInDialog(page));
    await expectSignedIn(page, user.name);
  });

  it("on a phone: new recovery codes (password and a code) replace the old ones, and turning it off (password and a recovery code) lets the password alone sign in", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Annie Easley", email: uniqueEmail("annie") });
    const { page } = await device({ viewport: PHONE });
    await signIn(page, user);
    const { key, codes: old } = await enrol(page, user, { check: "phone" });
    const two = section(page);
    const codeInput = two.getByLabel("Authenticator or recovery code", { exact: true });

    // The password and a code: without a code, and with a wrong one, it says so at the code field.
    await two.getByRole("button", { name: "New recovery codes" }).click();
    await two.getByLabel("Password", { exact: true }).fill(user.password);
    await two.getByRole("button", { name: "Create new codes" }).click();
    await shows(two.getByText("Enter a code from your authenticator app, or a recovery code."));
    await expectFocused(codeInput, "the code field");
    await codeInput.fill(wrongCode(uriFor(key)));
    await two.getByRole("button", { name: "Create new codes" }).click();
    await shows(two.getByText("That code isn't right, or it was used already."));
    await expectFocused(codeInput, "the code field");
    // The enrolment used this window's code: the next window's.
    await codeInput.fill(totpCode(uriFor(key), Date.now(), 1));
    await two.getByRole("button", { name: "Create new codes" }).click();
    await shows(two.getByRole("heading", { name: "Save your recovery codes" }));
    await shows(two.getByRole("status").filter({ hasText: "New recovery codes created. The old ones no longer work." }));
    const fresh = (await two.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents()).map((c) => c.trim());
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => old.includes(c))).toEqual([]);
    await two.getByRole("button", { name: "I have saved them" }).click();

    // Cancel goes back to the button that was pressed.
    const turnOff = two.getByRole("button", { name: "Turn off", exact: true });
    await turnOff.click();
    await two.getByRole("button", { name: "Cancel" }).click();
    await expectFocused(turnOff, "the Turn off button");
    await turnOff.click();
    await two.getByLabel("Password", { exact: true }).fill(user.password);
    // An old recovery code no longer works; a new one, typed without its dash, does.
    await codeInput.fill(old[0]!);
    await two.getByRole("form", { name: "Turn off two-step verification" }).getByRole("button", { name: "Turn off" }).click();
    await shows(two.getByText("That code isn't right, or it was used already."));
    await codeInput.fill(fresh[0]!.replace("-", ""));
    await two.getByRole("form", { name: "Turn off two-step verification" }).getByRole("button", { name: "Turn off" }).click();
    await shows(two.getByRole("status").filter({ hasText: "Two-step verification is off." }));
    await shows(two.getByText("Off."));
    await shows(two.getByRole("button", { name: "Set up", exact: true }));

    await signOut(page, user.name);
    await signIn(page, user);
  });
});
