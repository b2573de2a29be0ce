/**
 * An action that needs a recent sign-in (changing the email address, 403 SESSION_NOT_FRESH) asks
 * the reader to confirm it is them, over the page, and then goes through: nothing typed is lost.
 * The session is made old in the server's own SQLite file, as eleven minutes would.
 */
import { describe, expect, it } from "vitest";
import { ageSessions, axeCheck, e2eFile, uniqueEmail } from "./harness.ts";
import { gone, h1, shows, signIn } from "./ui.ts";

const suite = e2eFile("fresh-sign-in-");

describe("a recent sign-in for sensitive changes", () => {
  it("changing the email with an old session asks for the password in a dialog, then the change goes through", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Barbara Liskov", email: uniqueEmail("liskov") });
    const { page } = await suite.device();
    await signIn(page, user);
    ageSessions(suite.app, user.email, 11);

    await page.goto("/account");
    await shows(h1(page, "Account"));
    const newEmail = uniqueEmail("liskov-new");
    await page.getByLabel("New email", { exact: true }).fill(newEmail);
    await page.getByRole("button", { name: "Change email" }).click();

    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await shows(dialog);
    const password = dialog.getByLabel("Password", { exact: true });
    await expect.poll(() => password.evaluate((el) => el === document.activeElement), { message: "focus in the password field" }).toBe(true);
    await axeCheck(page, "confirm it's you");

    // A wrong password is said at the field; the dialog stays, the change waits.
    await password.fill("not the password at all");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await shows(dialog.getByText("That password isn't right."));

    const since = Date.now();
    await password.fill(user.password);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await gone(dialog);
    await shows(page.getByText(`Your email changes to ${newEmail} once you open it`, { exact: false }));
    await suite.app.mail.waitFor(user.email, { since });
    // Still signed in, on a new session: the page works on.
    expect((await page.request.get("/api/v1/me")).status()).toBe(200);
  });

  it("cancelling the dialog leaves the change undone, with the server's reason", async () => {
    const user = await suite.app.createVerifiedUser({ name: "Frances Allen", email: uniqueEmail("allen") });
    const { page } = await suite.device();
    await signIn(page, user);
    ageSessions(suite.app, user.email, 11);
    await page.goto("/account");
    await page.getByLabel("New email", { exact: true }).fill(uniqueEmail("allen-new"));
    await page.getByRole("button", { name: "Change email" }).click();
    const dialog = page.getByRole("dialog", { name: "Confirm it's you" });
    await shows(dialog);
    await page.keyboard.press("Escape");
    await gone(dialog);
    await shows(page.getByText("For your security, sign in again before making this change."));
  });
});
