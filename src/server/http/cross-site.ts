import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import { isJsonMediaType } from "./body.ts";

/**
 * CSRF defence for our own state-changing routes (ASVS 3.5.1), as Better Auth's routes already
 * have it: a request that carries cookies must come from one of our origins, and its body must
 * be JSON.
 *
 * `SameSite=Lax` alone is not enough: "same-site" includes every port of localhost in development
 * and every sibling subdomain in production, and a body that is empty or `text/plain` is sent by
 * a browser without a preflight. So, on POST/PUT/PATCH/DELETE with a `Cookie` header:
 * - `Origin` must be one of the trusted origins. Browsers send it on every such request; when it
 *   is missing (an old browser, a client that replays cookies), `Sec-Fetch-Site: same-origin` is
 *   accepted instead, and nothing else.
 * - a non-empty body must be `application/json` (which no cross-site form or beacon can send).
 *
 * Bearer calls (`Authorization` header) carry no ambient credential and are not checked here.
 */
export function crossSiteGuard(trustedOrigins: readonly string[]): MiddlewareHandler {
  const origins = new Set(trustedOrigins.map((o) => new URL(o).origin));
  return function crossSiteGuardMiddleware(c, next) {
    if (c.req.header("authorization") !== undefined || c.req.header("cookie") === undefined) return next();
    const origin = c.req.header("origin");
    const sameOrigin = origin !== undefined ? origins.has(origin) : c.req.header("sec-fetch-site") === "same-origin";
    if (!sameOrigin) {
      throw new ApiError(403, "CROSS_SITE_REQUEST", "This request did not come from this site. Reload the page and try again.");
    }
    // On the wire a request has a body only with a Content-Length or a Transfer-Encoding (RFC 9112 §6.3).
    const length = c.req.header("content-length");
    const hasBody = (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
    if (hasBody && !isJsonMediaType(c.req.header("content-type"))) {
      throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
    }
    return next();
  };
}
