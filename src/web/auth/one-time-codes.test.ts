import { describe, expect, it } from "vitest";
import { normalizeAnyCode, normalizeRecoveryCode, normalizeTotpCode, recoveryCodeProblem, totpCodeProblem } from "./one-time-codes.ts";

describe("authenticator codes", () => {
  it("keep the digits, whatever the reader put between them", () => {
    expect(normalizeTotpCode(" 123 456 ")).toBe("123456");
    expect(normalizeTotpCode("123-456")).toBe("123456");
  });

  it("are six digits", () => {
    expect(totpCodeProblem("123 456")).toBeNull();
    expect(totpCodeProblem("")).toBe("Enter the 6-digit code from your authenticator app.");
    expect(totpCodeProblem("12345")).toBe("The code is 6 digits, like 123456.");
    expect(totpCodeProblem("12345a")).toBe("The code is 6 digits, like 123456.");
  });
});

describe("recovery codes", () => {
  it("lose their spaces, get their dash back, and keep their case", () => {
    expect(normalizeRecoveryCode(" aB3de-FGh1J ")).toBe("aB3de-FGh1J");
    expect(normalizeRecoveryCode("aB3deFGh1J")).toBe("aB3de-FGh1J");
    expect(normalizeRecoveryCode("aB3de FGh1J")).toBe("aB3de-FGh1J");
    // Not the shape of a code: sent as typed, for the server to refuse.
    expect(normalizeRecoveryCode("short")).toBe("short");
  });

  it("must be typed", () => {
    expect(recoveryCodeProblem("  ")).toBe("Enter one of your recovery codes.");
    expect(recoveryCodeProblem("abcde-fghij")).toBeNull();
  });
});

describe("one field for either kind", () => {
  it("sends six digits as an authenticator code and anything else as a recovery code", () => {
    expect(normalizeAnyCode(" 123 456 ")).toBe("123456");
    expect(normalizeAnyCode("aB3deFGh1J")).toBe("aB3de-FGh1J");
    // A recovery code of digits only keeps its dash: it is not six digits.
    expect(normalizeAnyCode("12345 67890")).toBe("12345-67890");
    expect(normalizeAnyCode("  ")).toBe("");
  });
});
