import type { Context } from "hono";
import type { Services } from "../../services.ts";
import { defaultCode, errorBody } from "../../http/errors.ts";
import { readBody, requestWithBody } from "../../http/body.ts";

/**
 * The JSON object of a POST, or null when it has no body: read once per request by the one body
 * reader (http/body.ts), which gives Better Auth a request rebuilt from the same text.
 */
export async function readJson(c: Context): Promise<Record<string, unknown> | null> {
  return ((await readBody(c, { optional: true, object: true, betterAuth: true })) ?? null) as Record<string, unknown> | null;
}

/** The request as Better Auth must see it: with its body, when we have already read it. */
export const requestForBetterAuth = requestWithBody;

export type Forward = (c: Context, request?: Request) => Promise<Response>;

/** Hand the request to Better Auth; its answer is passed through, with its errors given our shape ({ code, message }). */
export function createForward(s: Services): Forward {
  return async function forward(c, request = requestForBetterAuth(c)) {
    const res = await s.auth.handler(request);
    if (res.status < 400) return res;
    const type = res.headers.get("content-type") ?? "";
    let body: Record<string, unknown> | null = null;
    if (type.includes("application/json")) body = (await res.clone().json().catch(() => null)) as Record<string, unknown> | null;
    if (body && typeof body.code === "string" && typeof body.message === "string") return res;
    const headers = new Headers(res.headers);
    headers.set("content-type", "application/json; charset=UTF-8");
    headers.delete("content-length");
    const code = typeof body?.code === "string" ? body.code : defaultCode(res.status);
    const message =
      typeof body?.message === "string" ? body.message : res.status === 404 ? "No such route." : "The request could not be completed.";
    return new Response(JSON.stringify(errorBody(code, message)), { status: res.status, headers });
  };
}

/** The `code` of a JSON error answer, if any. */
export async function errorCode(res: Response): Promise<string | null> {
  const data = (await res.clone().json().catch(() => null)) as { code?: unknown } | null;
  return typeof data?.code === "string" ? data.code : null;
}
