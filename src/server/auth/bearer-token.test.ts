import { describe, expect, it } from "vitest";
import { bearerToken } from "./caller.ts";

describe("bearerToken", () => {
  it("takes the token of a Bearer credential, scheme in any case, surrounding spaces ignored", () => {
    expect(bearerToken("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("BEARER abc")).toBe("abc");
    expect(bearerToken("  Bearer abc  ")).toBe("abc");
  });

  it("refuses everything that is not exactly one Bearer token (RFC 6750 §2.1)", () => {
    for (const header of ["", "Bearer", "Bearer ", "Bearer  abc", "Bearer\tabc", "Bearer abc def", "Bearer abc\tdef", "Basic abc", "Bearerabc", "Token abc", "Bearer abc\u00a0x"]) {
      expect(bearerToken(header), JSON.stringify(header)).toBeNull();
    }
  });
});
