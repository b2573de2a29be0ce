import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Per-request facts that code deep inside Better Auth callbacks needs but is not handed:
 * the client IP (from the socket or a trusted proxy) and the user agent.
 */
export interface RequestContext {
  ip: string;
  /** What per-IP limits count under: the IP, or its IPv6 network (client-ip.ts `limitKey`). */
  limitKey: string;
  userAgent: string | null;
  path: string;
  /** Better Auth caught (and logged) a database-unavailable error: its 4xx/5xx becomes our 503. */
  databaseUnavailable?: boolean;
  /** A mail of this request could not be written to the outbox (Better Auth swallowed it): 503. */
  mailNotQueued?: boolean;
  /** The account this request created (sign-up), undone if its verification mail was not written. */
  createdUserId?: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentRequest(): RequestContext | undefined {
  return requestContext.getStore();
}
