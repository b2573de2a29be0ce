import { describe, expect, it } from "vitest";
import { createRedirectCheck } from "./redirect.ts";
import { FOREIGN_REDIRECTS } from "../../../test/security/redirect-variants.ts";



describe("the one redirect check (ASVS 3.7.2)", () => {
  const isSafe = createRedirectCheck("http://localhost:7860", ["http://localhost:7860", "https://app.example"]);

  it.each(FOREIGN_REDIRECTS.map((v) => [JSON.stringify(v), v]))("refuses %s", (_, target) => {
    expect(isSafe(target)).toBe(false);
  });

  it.each([
    "/",
    "/verified",
    "/verified?x=1#top",
    "/%2F%2Fevil.example", // a path on this site: its origin is ours
    "http://localhost:7860/account",
    "https://app.example/welcome",
  ])("accepts %s", (target) => {
    expect(isSafe(target)).toBe(true);
  });
});
