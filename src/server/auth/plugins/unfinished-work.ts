import type { BetterAuthPlugin } from "better-auth";
import { createAuthMiddleware } from "better-auth/api";
import type { Logger } from "pino";
import { currentEndpoint, isErrorAnswer } from "../better-auth/endpoint.ts";
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
 * (its endpoint context): the mail callback (`mailNotQueued`), the database (`databaseFailed`, fed
 * by the database driver's error report, db/index.ts: a query, a transaction, a connection that
 * cannot be had), the user-create hook (`userCreated`). This plugin's after-hook, run by Better
 * Auth at the end of that same endpoint, turns the answer into 503 SERVICE_UNAVAILABLE with
 * Retry-After (and none of the endpoint's cookies or redirect), and takes back an account created
 * without its verification mail, so nothing is left half-made. Nothing here is read anywhere else.
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
            const refuse = () => {
              // Better Auth adds the headers the endpoint gathered (a new session's cookie, a
              // redirect) to whatever a hook answers: none of them belongs on a 503.
              ctx.context.responseHeaders = new Headers();
              return unavailable();
            };
            if (unfinished.mailNotQueued) {
              for (const userId of unfinished.createdUsers.splice(0)) {
                await ctx.context.internalAdapter.deleteUser(userId).catch((err: unknown) => {
                  logger.error({ err: err instanceof Error ? err.message : String(err) }, "could not take back an account whose verification mail was not written");
                });
              }
              return refuse();
            }
            // An error answer (Better Auth's own code, or better-call's) while the database could not serve.
            if (unfinished.databaseUnavailable && isErrorAnswer(ctx.context.returned)) return refuse();
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
    /** The database failed (the driver's error report): noted when it is unavailable. */
    databaseFailed(err: unknown) {
      if (!isDatabaseUnavailable(err)) return;
      const unfinished = current();
      if (unfinished) unfinished.databaseUnavailable = true;
    },
  };
}

export type UnfinishedWork = ReturnType<typeof createUnfinishedWork>;
