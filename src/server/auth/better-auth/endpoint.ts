/**
 * The Better Auth endpoint a call is running in, read from Better Auth's own context (its
 * endpoint AsyncLocalStorage), for code Better Auth calls without handing it the endpoint
 * (its `password.hash`, for one). This module is where such internals are imported.
 */
import { tryGetCurrentAuthEndpointContext } from "@better-auth/core/context";
import { getSessionFromCtx } from "better-auth/api";

export type EndpointContext = NonNullable<ReturnType<typeof tryGetCurrentAuthEndpointContext>>;

/** The endpoint context of the current call, or null outside one (a server-side call). */
export function currentEndpoint(): EndpointContext | null {
  return tryGetCurrentAuthEndpointContext() ?? null;
}

/** The signed-in user of an endpoint's request, if any (its session middleware's, or looked up). */
export async function endpointUser(ctx: EndpointContext): Promise<{ id: string; email: string; name: string } | null> {
  const known = (ctx.context as { session?: { user?: { id: string; email: string; name: string } } | null }).session?.user;
  if (known) return known;
  const session = await getSessionFromCtx(ctx as Parameters<typeof getSessionFromCtx>[0]).catch(() => null);
  return session?.user ?? null;
}

/**
 * Whether what an endpoint returned (a hook's `ctx.context.returned`) is an error answer: an
 * APIError of 4xx or 5xx, or any other error. A redirect (an APIError with a 3xx) is not.
 */
export function isErrorAnswer(returned: unknown): boolean {
  const status = (returned as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status >= 400 : returned instanceof Error;
}
