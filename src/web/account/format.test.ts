import { describe, expect, it } from "vitest";
import { safeLocalPath } from "../ui/paths.ts";
import { describeDevice, describeEvent } from "./format.ts";

describe("account formatting", () => {
  it("names devices from their User-Agent", () => {
    expect(describeDevice("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36")).toBe("Chrome on Linux");
    expect(describeDevice("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0")).toBe("Firefox on Windows");
    expect(describeDevice("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")).toBe("Safari on iOS");
    expect(describeDevice("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0")).toBe("Edge on macOS");
    expect(describeDevice("curl/8.5.0")).toBe("An app or script");
    expect(describeDevice(null)).toBe("Unknown device");
  });

  it("words security events, and unknown ones readably", () => {
    expect(describeEvent("sign_in_failed")).toBe("Failed sign-in attempt");
    expect(describeEvent("brand_new_thing")).toBe("Brand new thing");
  });
});

describe("safeLocalPath", () => {
  it("keeps paths on this site and refuses anything else", () => {
    expect(safeLocalPath("/read/intro#x")).toBe("/read/intro#x");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", null, "/\nx"]) {
      expect(safeLocalPath(bad)).toBe("/");
    }
  });
});
