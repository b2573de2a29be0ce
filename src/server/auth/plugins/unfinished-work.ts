import type { BetterAuthPlugin } from "better-auth";
import { APIError, createAuthMiddleware } from "better-auth/api";
import type { Logger } from "pino";
import { currentEndpoint } from "../better-auth/endpoint.ts";
import { isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_SECONDS } from "../../db/unavailable.ts";
import { errorBody } from "../../http/errors.ts";

/**
 * Work a Better Auth route could not finish, though Better Auth would answer as if it had:
 *
 * - a mail the answer promises (a verification link, a reset link) was not written to the
 *   outbox: Better Auth swallows what its mail callbacks throw and answers 2xx;
 * - the database went away under a route that catches the error and answers a code of its own
 *   (sign-up: 422 FAILED_TO_CREATE_USER), which would tell the client its input was wrong.
 *
 * Each is noted where it happens, against the request of the Better Auth endpoint it happens in
 * (its endpoint context): the mail callback (`mailNotQueued`), the database (`queryFailed`, fed
 * by the database's query-error hook, db/index.ts), the user-create hook (`userCreated`). This
 * plugin's after-hook, run by Better Auth at the end of that same endpoint, turns the answer
 * into 503 SERVICE_UNAVAILABLE with Retry-After, and takes back an account created without its
 * verification mail, so nothing is left half-made. Nothing here is read anywhere else.
 */
interface Unfinished {
  mailNotQueued: boolean;
  databaseUnavailable: boolean;
  createdUsers: string[];
}

export function createUnfinishedWork(logger: Logger) {
  const byRequest = new WeakMap<Request, Unfinished>();

  /** The record of the endpoint this runs in, if it serves an HTTP request. */
  function current(): Unfinished | null {
    const request = currentEndpoint()?.request;
    if (!request) return null;
    let found = byRequest.get(request);
    if (!found) byRequest.set(request, (found = { mailNotQueued: false, databaseUnavailable: false, createdUsers: [] }));
    return found;
  }

  // A Response, not an APIError: Better Auth keeps the endpoint's own status for an error a hook
  // throws (the 422 would stay), and passes a Response through as it is.
  const unavailable = () =>
    new Response(JSON.stringify(errorBody("SERVICE_UNAVAILABLE", "The service is briefly unavailable. Try again in a moment.")), {
      status: 503,
      headers: { "content-type": "application/json", "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
    });

  const plugin = {
    id: "aibook-unfinished-work",
    hooks: {
      after: [
        {
          matcher: (ctx: { request?: Request }) => ctx.request !== undefined && byRequest.has(ctx.request),
          handler: createAuthMiddleware(async (ctx) => {
            const unfinished = byRequest.get(ctx.request!)!;
            if (unfinished.mailNotQueued) {
              for (const userId of unfinished.createdUsers.splice(0)) {
                await ctx.context.internalAdapter.deleteUser(userId).catch((err: unknown) => {
                  logger.error({ err: err instanceof Error ? err.message : String(err) }, "could not take back an account whose verification mail was not written");
                });
              }
              return unavailable();
            }
            if (unfinished.databaseUnavailable && ctx.context.returned instanceof APIError) return unavailable();
            return undefined;
          }),
        },
      ],
    },
  } satisfies BetterAuthPlugin;

  return {
    plugin,
    /** A mail of the current endpoint could not be written to the outbox. */
    mailNotQueued() {
      const unfinished = current();
      if (unfinished) unfinished.mailNotQueued = true;
    },
    /** The current endpoint created this account (taken back if its mail is not written). */
    userCreated(userId: string) {
      current()?.createdUsers.push(userId);
    },
    /** A database query failed (the database's error hook): noted when the database is unavailable. */
    queryFailed(err: unknown) {
      if (!isDatabaseUnavailable(err)) return;
      const unfinished = current();
      if (unfinished) unfinished.databaseUnavailable = true;
    },
  };
}

export type UnfinishedWork = ReturnType<typeof createUnfinishedWork>;
