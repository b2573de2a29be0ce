import type { Hono } from "hono";
import { z } from "zod";
import type { Services } from "../../services.ts";
import { ApiError } from "../../http/errors.ts";
import type { LinkBinding } from "../link-binding.ts";
import type { Forward } from "./forward.ts";

/** What each of our Better Auth route modules is given: the services, the forward to Better Auth, the link binding. */
export interface RouteKit {
  app: Hono;
  s: Services;
  forward: Forward;
  binding: LinkBinding;
}

/** The address in a body that has one (any other fields are Better Auth's to judge). */
export const emailBody = z.object({ email: z.string().max(320) }).loose();

export function tooManyAttempts(retryAfterSeconds: number) {
  return new ApiError(
    429,
    "TOO_MANY_ATTEMPTS",
    "Too many failed sign-in attempts for this account. Wait a little and try again.",
    { retryAfter: retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );
}

export function tooManyMails(retryAfterSeconds: number) {
  return new ApiError(
    429,
    "EMAIL_RATE_LIMITED",
    "An email was sent to this address moments ago. Wait a minute before asking for another.",
    { retryAfter: retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds) },
  );
}
