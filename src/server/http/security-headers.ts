import type { MiddlewareHandler } from "hono";

/**
 * Security headers on every response (ASVS 3.4.x). The CSP allows only our own origin;
 * `object-src 'none'; base-uri 'none'; frame-ancestors 'none'` close the usual holes.
 */
export function securityHeaders(options: { hsts: boolean }): MiddlewareHandler {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  return async function securityHeadersMiddleware(c, next) {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", csp);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "strict-origin-when-cross-origin");
    h.set("X-Frame-Options", "DENY");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    h.set("Cross-Origin-Resource-Policy", "same-origin");
    h.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    if (options.hsts) h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    const path = c.req.path;
    if (path.startsWith("/api/")) {
      // Tokens and user data must not sit in shared or browser caches (ASVS 14.3.2).
      if (path.startsWith("/api/v1/") || path.startsWith("/api/auth/") || !h.has("Cache-Control")) {
        h.set("Cache-Control", "no-store");
      }
    }
  };
}
