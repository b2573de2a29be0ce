import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type of our API: a stable UPPER_SNAKE `code` the UI keys on, and a human
 * `message`. Never a stack trace, never a secret (ASVS 16.5.1).
 */
export class ApiError extends Error {
  constructor(
    public readonly status: ContentfulStatusCode,
    public readonly code: string,
    message: string,
    public readonly extra: Record<string, unknown> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}) {
  return { code, message, ...extra };
}

export function sendError(c: Context, err: ApiError) {
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json(errorBody(err.code, err.message, err.extra), err.status);
}

export const tooManyRequests = (retryAfterSeconds: number, message = "Too many requests. Try again later.") =>
  new ApiError(429, "RATE_LIMITED", message, { retryAfter: retryAfterSeconds }, { "Retry-After": String(retryAfterSeconds) });

/** Status → default code for responses that arrive without one (e.g. Better Auth's bare 404). */
export function defaultCode(status: number): string {
  switch (status) {
    case 400:
      return "BAD_REQUEST";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 415:
      return "UNSUPPORTED_MEDIA_TYPE";
    case 422:
      return "UNPROCESSABLE_ENTITY";
    case 429:
      return "RATE_LIMITED";
    case 503:
      return "SERVICE_UNAVAILABLE";
    default:
      return status >= 500 ? "INTERNAL_ERROR" : "ERROR";
  }
}
