import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Per-request facts that code deep inside Better Auth callbacks needs but is not handed: the
 * client IP (from the socket or a trusted proxy), the user agent, an id for the logs. Read-only:
 * nothing signals through it (docs/decisions/012-request-context.md).
 */
export interface RequestContext {
  readonly ip: string;
  /** What per-IP limits count under: the IP, or its IPv6 network (client-ip.ts `limitKey`). */
  readonly limitKey: string;
  readonly userAgent: string | null;
  readonly path: string;
  /** Ours, random per request: in every log line about the request, and in a 5xx answer's X-Request-Id. */
  readonly requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentRequest(): RequestContext | undefined {
  return requestContext.getStore();
}
