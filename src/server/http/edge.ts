import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import { createClientIpResolver, limitKey } from "./client-ip.ts";
import { CLIENT_IP_HEADER } from "./client-ip-header.ts";
import { requestContext } from "./request-context.ts";

/**
 * First middleware of every request: decide the client IP from the socket (X-Forwarded-For
 * only from TRUSTED_PROXIES), overwrite any client-sent copy of our IP header for Better Auth,
 * and open the per-request context.
 */
export function edge(trustedProxies: string[], ipv6LimitPrefix = 64): MiddlewareHandler {
  const resolveIp = createClientIpResolver(trustedProxies);
  return async function edgeMiddleware(c, next) {
    let socketAddress: string | undefined;
    try {
      socketAddress = getConnInfo(c).remote.address;
    } catch {
      socketAddress = undefined; // in-process requests (tests) have no socket
    }
    const ip = resolveIp(socketAddress, c.req.header("x-forwarded-for"));
    // Only Better Auth reads this header (for the IP of the sessions it creates, under /api/auth);
    // our code reads `currentRequest().ip`. Setting a header turns the lazily read request headers
    // into a full Headers object (~10 % of a small request), so it is set where Better Auth
    // handles the request, and wherever a client sent its own copy: that never survives.
    if (c.req.path.startsWith("/api/auth") || c.req.header(CLIENT_IP_HEADER) !== undefined) {
      c.req.raw.headers.set(CLIENT_IP_HEADER, ip);
    }
    await requestContext.run(
      {
        ip,
        limitKey: limitKey(ip, ipv6LimitPrefix),
        userAgent: c.req.header("user-agent") ?? null,
        path: c.req.path,
        requestId: randomUUID(),
      },
      () => next(),
    );
  };
}
