import { ApiError } from "../http/errors.ts";

/**
 * Errors that mean "the database (or Redis) cannot serve right now", not "this request is wrong": the
 * connection is gone or refused (PostgreSQL restarting, network), the server is shutting down or
 * out of resources, or the SQLite file is busy, read-only, full or failing I/O. They are answered
 * 503 SERVICE_UNAVAILABLE with Retry-After, never a 500 with a driver message; the write they
 * interrupted was not acknowledged (and, being one transaction, left nothing half-written).
 */
const NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
// 08xxx connection exceptions, 57P01-57P03 admin/crash shutdown and "cannot connect now" (starting
// up), 53xxx insufficient resources (disk full, out of memory, too many connections), 25006 a
// read-only transaction (a standby, or default_transaction_read_only).
const PG_CODE = /^(08...|57P0[123]|53...|25006)$/;
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN|NOMEM)/;
// The rate-limit counters in Redis, for a check that must not be skipped (rate-limit/redis-outage.ts).
const OWN_CODES = new Set(["COUNTER_STORE_UNAVAILABLE"]);
const MESSAGES = /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === "object" && !seen.has(e)) {
    seen.add(e);
    const { code, message, errors } = e as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof code === "string" && (NODE_CODES.has(code) || OWN_CODES.has(code) || PG_CODE.test(code) || SQLITE_CODE.test(code))) return true;
    if (typeof message === "string" && MESSAGES.test(message)) return true;
    // AggregateError from a connect attempt to several addresses.
    if (Array.isArray(errors) && errors.some((x) => isDatabaseUnavailable(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Seconds a client should wait before trying again. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

export const serviceUnavailable = () =>
  new ApiError(503, "SERVICE_UNAVAILABLE", "The service is briefly unavailable. Try again in a moment.", {}, {
    "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS),
  });
