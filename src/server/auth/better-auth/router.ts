import { router, runWithAdapter } from "./internals.ts";
import type { BetterAuthOptions } from "better-auth";

type AuthLike = {
  handler(request: Request): Promise<Response>;
  options: BetterAuthOptions;
  $context: Promise<object>;
};

/**
 * Better Auth's `auth.handler`, with its router built once instead of on every request.
 *
 * Better Auth 1.7 copies its context and rebuilds every endpoint wrapper and the route table on
 * each call (better-auth#10188): about 0.7 ms of CPU, a third of a sign-in's JavaScript. The copy
 * exists so a dynamic `baseURL` or a `trustedOrigins`/`trustedProviders` function can be resolved
 * per request. Ours are static: the values Better Auth computed at start-up are the ones each
 * request would compute again, and the router already gives each request its own copy of the
 * context (`{ ...routerContext }`), so nothing leaks between requests. Everything else is Better
 * Auth's own: its origin check, plugin `onRequest`/`onResponse`, hooks, error handling.
 *
 * With anything dynamic configured, this is `auth.handler` unchanged.
 * docs/decisions/008-sign-in-throughput.md
 */
export function cachedAuthHandler(auth: AuthLike): (request: Request) => Promise<Response> {
  const { options } = auth;
  const original = auth.handler;
  const dynamic =
    typeof options.baseURL !== "string" ||
    typeof options.trustedOrigins === "function" ||
    typeof options.account?.accountLinking?.trustedProviders === "function";
  if (dynamic) return original;

  let built: Promise<(request: Request) => Promise<Response>> | undefined;
  const build = async () => {
    const ctx = (await auth.$context) as Parameters<typeof router>[0];
    const { handler } = router(ctx, options);
    return async (request: Request): Promise<Response> => await runWithAdapter(ctx.adapter, () => handler(request));
  };
  return async (request) => {
    // A failed start (database unreachable) is not remembered: the next request tries again.
    built ??= build().catch((err: unknown) => {
      built = undefined;
      throw err;
    });
    const handle = await built;
    return handle(request);
  };
}
