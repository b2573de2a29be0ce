/**
 * The one error type the web app handles: every failed call to /api/v1/* or /api/auth/*
 * becomes an ApiError with the server's stable `code`. The UI keys on `code`, never on `message`.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before trying again (429: body.retryAfter or the Retry-After header). */
  readonly retryAfter?: number;

  constructor(status: number, code: string, message: string, retryAfter?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/** Status 0: the request never got an answer (offline, server down, blocked). */
export const networkError = () =>
  new ApiError(0, "NETWORK_ERROR", "We couldn't reach the server. Check your connection and try again.");

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const defaultCode = (status: number) =>
  status === 401 ? "UNAUTHORIZED" : status === 403 ? "FORBIDDEN" : status === 404 ? "NOT_FOUND" : status === 429 ? "RATE_LIMITED" : status >= 500 ? "INTERNAL_ERROR" : "ERROR";

/** Build an ApiError from a parsed error body (`{ code, message, retryAfter? }`) and headers. */
export function apiErrorFrom(status: number, body: unknown, retryAfterHeader?: string | null): ApiError {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const code = typeof b.code === "string" && b.code ? b.code : defaultCode(status);
  const message = typeof b.message === "string" && b.message ? b.message : `Request failed (${status}).`;
  const fromBody = typeof b.retryAfter === "number" && b.retryAfter >= 0 ? Math.ceil(b.retryAfter) : undefined;
  return new ApiError(status, code, message, fromBody ?? parseRetryAfter(retryAfterHeader));
}
