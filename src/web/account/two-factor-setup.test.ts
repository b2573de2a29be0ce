import { describe, expect, it } from "vitest";
import { groupKey, keyFromTotpUri, recoveryCodesText } from "./two-factor-setup.ts";

describe("two-step verification setup", () => {
  it("reads the key from the authenticator's URI", () => {
    expect(keyFromTotpUri("otpauth://totp/AI%20Book:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=AI%20Book&digits=6&period=30")).toBe(
      "JBSWY3DPEHPK3PXP",
    );
    expect(keyFromTotpUri("otpauth://totp/AI%20Book:ada?issuer=AI%20Book")).toBeNull();
    expect(keyFromTotpUri("https://example.com/?secret=JBSWY3DPEHPK3PXP")).toBeNull();
    expect(keyFromTotpUri("not a uri")).toBeNull();
  });

  it("groups the key in fours, the last group shorter when it must be", () => {
    expect(groupKey("JBSWY3DPEHPK3PXP")).toBe("JBSW Y3DP EHPK 3PXP");
    expect(groupKey("JBSWY3DPEH")).toBe("JBSW Y3DP EH");
    expect(groupKey("")).toBe("");
  });

  it("writes the recovery-codes file: whose, when, one code a line", () => {
    const text = recoveryCodesText({ codes: ["aaaaa-bbbbb", "ccccc-ddddd"], account: "ada@example.com", createdAt: new Date("2026-03-04T12:00:00Z") });
    const lines = text.split("\n");
    expect(lines[0]).toBe("AI Book recovery codes");
    expect(lines).toContain("Account: ada@example.com");
    expect(lines).toContain("Created: 2026-03-04");
    expect(lines.slice(-3)).toEqual(["aaaaa-bbbbb", "ccccc-ddddd", ""]);
  });
});
