import { describe, expect, it } from "vitest";
import { checkPasswordRules, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH_DEFAULT, passwordProblemMessage } from "../../shared/password-policy.ts";
import { DEFAULT_MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, newPasswordProblem, passwordLength, quickRuleProblem } from "./policy.ts";

// The web app's length rules run before the shared policy is loaded: they must never disagree with it.
describe("web password rules", () => {
  it("mirror the shared policy's limits", () => {
    expect(MAX_PASSWORD_LENGTH).toBe(PASSWORD_MAX_LENGTH);
    expect(DEFAULT_MIN_PASSWORD_LENGTH).toBe(PASSWORD_MIN_LENGTH_DEFAULT);
  });

  it.each([
    ["", 8],
    ["seven77", 8],
    ["🔥🔥🔥🔥🔥🔥🔥", 8],
    ["ｆｕｌｌｗｉｄｔｈ", 8],
    ["x".repeat(129), 8],
    ["eleven char", 12],
    ["a".repeat(128), 8],
    ["blue ocean sings", 8],
  ])("agree with checkPasswordRules on length for %j (min %i)", (password, minLength) => {
    const shared = checkPasswordRules(password, {}, { minLength });
    const quick = quickRuleProblem(password, minLength);
    if (!shared.ok && (shared.code === "PASSWORD_TOO_SHORT" || shared.code === "PASSWORD_TOO_LONG")) {
      expect(quick).toBe(passwordProblemMessage(shared.code, minLength));
    } else {
      expect(quick).toBeNull();
    }
  });

  it("counts code points after NFKC, like the server", () => {
    expect(passwordLength("👨‍👩‍👧")).toBe(5);
    expect(passwordLength("ﬁ")).toBe(2);
  });

  it("never calls fine a password the shared rules refuse", async () => {
    for (const [password, user] of [
      ["password123", {}],
      ["alice.martin1", { email: "alice.martin@example.com" }],
      ["short", {}],
    ] as const) {
      expect(await newPasswordProblem(password, user, 8)).toBe((checkPasswordRules(password, user) as { message: string }).message);
    }
    expect(await newPasswordProblem("violet kettle drums at midnight", { name: "Ada" }, 8)).toBeNull();
  });
});
