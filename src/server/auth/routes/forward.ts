import type { Context } from "hono";
import type { Services } from "../../services.ts";
import { ApiError, defaultCode, errorBody } from "../../http/errors.ts";
import { containsUnsafeText } from "../../http/text-input.ts";
import { unsafeTextError } from "../../http/validate.ts";

/**
 * Bodies read, per request. The auth middleware reads each POST body once, straight from the
 * socket (@hono/node-server reads `text()` without building web streams; a `clone()` built two
 * and a tee), and the routes reuse it; Better Auth gets a request rebuilt from the same text.
 */
const bodies = new WeakMap<Request, { text: string; json: Record<string, unknown> | null }>();

/** The JSON object of a POST, or null when it has no body. */
export async function readJson(c: Context): Promise<Record<string, unknown> | null> {
  const request = c.req.raw;
  let read = bodies.get(request);
  if (!read) {
    const text = await request.text();
    read = { text, json: null };
    bodies.set(request, read); // before parsing: a refused body is still not readable twice
    read.json = parseJson(c, text);
  }
  return read.json;
}

/** The request as Better Auth must see it: with its body, when we have already read it. */
export function requestForBetterAuth(c: Context): Request {
  const read = bodies.get(c.req.raw);
  if (!read) return c.req.raw;
  const headers = new Headers(c.req.raw.headers);
  headers.delete("content-length");
  return new Request(c.req.url, { method: c.req.method, headers, body: read.text });
}

function parseJson(c: Context, text: string): Record<string, unknown> | null {
  if (text.trim() === "") return null;
  // Exactly the media type Better Auth parses as JSON (case-insensitive). Anything else with a
  // body is refused: a form-encoded or "Application/JSON" sign-in used to slip past the
  // per-account throttle, since only our JSON reading found the email.
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, "INVALID_JSON", "The request body is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(400, "INVALID_BODY", "The request body must be a JSON object.");
  }
  if (containsUnsafeText(value)) throw unsafeTextError();
  return value as Record<string, unknown>;
}

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
