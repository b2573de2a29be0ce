import { describe, expect, it } from "vitest";
import { containsUnsafeText, displayNameProblem, isUnsafeText } from "./text-input.ts";

describe("isUnsafeText / containsUnsafeText", () => {
  it("flags NUL and unpaired surrogates, not paired ones", () => {
    expect(isUnsafeText("a\u0000b")).toBe(true);
    expect(isUnsafeText("\ud800")).toBe(true);
    expect(isUnsafeText("x\udc00")).toBe(true);
    expect(isUnsafeText("\ud83d\ude00 ok")).toBe(false);
    expect(isUnsafeText("plain")).toBe(false);
  });

  it("walks keys and values of nested JSON, deep nesting included", () => {
    expect(containsUnsafeText({ a: [1, { b: "ok" }] })).toBe(false);
    expect(containsUnsafeText({ a: [1, { b: "n\u0000" }] })).toBe(true);
    expect(containsUnsafeText({ "\ud800": 1 })).toBe(true);
    let deep: unknown = "\u0000";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(containsUnsafeText(deep)).toBe(true);
  });
});

describe("displayNameProblem", () => {
  it.each(["Ada Lovelace", "Zoë", "李小龍", "محمد", "👨\u200d👩\u200d👧", "O'Brien", "a" + "\u0301".repeat(20)])("accepts %j", (name) => {
    expect(displayNameProblem(name)).toBeNull();
  });

  it.each([
    ["empty", ""],
    ["spaces", "   "],
    ["zero-width only", "\u200b\u200d\u2060"],
    ["combining only", "\u0301\u0301"],
    ["RTL override", "Bob\u202egnp.exe"],
    ["isolate", "a\u2066b"],
    ["control", "Ann\u0007"],
    ["newline", "Ann\nBob"],
    ["too long", "x".repeat(101)],
    ["10k combining marks", "a" + "\u0301".repeat(10_000)],
  ])("refuses %s", (_label, name) => {
    expect(displayNameProblem(name)).toEqual(expect.any(String));
  });
});
