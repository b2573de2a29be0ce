import { describe, expect, it } from "vitest";
import { ApiError, apiErrorFrom, parseRetryAfter } from "./api-error.ts";
import { errorMessage, formatWait } from "./error-messages.ts";

describe("apiErrorFrom", () => {
  it("keeps the server's code and prefers body.retryAfter over the header", () => {
    const e = apiErrorFrom(429, { code: "TOO_MANY_ATTEMPTS", message: "x", retryAfter: 42 }, "10");
    expect(e).toMatchObject({ status: 429, code: "TOO_MANY_ATTEMPTS", retryAfter: 42 });
  });

  it("falls back to the Retry-After header and to a code from the status", () => {
    expect(apiErrorFrom(429, null, "30")).toMatchObject({ code: "RATE_LIMITED", retryAfter: 30 });
    expect(apiErrorFrom(401, "not json").code).toBe("UNAUTHORIZED");
    expect(apiErrorFrom(502, {}).code).toBe("INTERNAL_ERROR");
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("5")).toBe(5);
    expect(parseRetryAfter(new Date(Date.now() + 120_000).toUTCString())).toBeGreaterThanOrEqual(118);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe("errorMessage", () => {
  it("words codes, never the server's message, and says how long to wait", () => {
    expect(errorMessage(new ApiError(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password"))).toMatch(/don't match an account/);
    expect(errorMessage(new ApiError(429, "TOO_MANY_ATTEMPTS", "", 125))).toMatch(/Try again in 3 minutes\.$/);
    expect(errorMessage(new ApiError(429, "RATE_LIMITED", ""))).toMatch(/Wait a little and try again\.$/);
    expect(errorMessage(new ApiError(400, "PASSWORD_TOO_SHORT", ""), { minPasswordLength: 12 })).toMatch(/at least 12 characters/);
    expect(errorMessage(new ApiError(500, "SOMETHING_NEW", "stack trace?"))).toMatch(/on our side/);
    expect(errorMessage(new TypeError("boom"))).toMatch(/on our side/);
  });

  it("formats waits", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(59)).toBe("59 seconds");
    expect(formatWait(600)).toBe("10 minutes");
    expect(formatWait(7200)).toBe("2 hours");
  });
});
