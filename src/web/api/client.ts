import { ApiError, apiErrorFrom, networkError } from "./api-error.ts";
import { confirmIdentity } from "../auth/fresh-sign-in.ts";
import { reauthenticate } from "../auth/reauth.ts";

export { ApiError } from "./api-error.ts";

/**
 * The one place that calls our own API (/api/v1/*): same-origin cookies, JSON bodies, errors as
 * ApiError. On 401 it renews the session once and retries; if the session is really gone it asks
 * the reader to sign in again (the sign-in dialog opens over the page, nothing is lost) and
 * retries the original request once they have. It rejects with the 401 if they cancel. An
 * action that needs a recent sign-in (403 SESSION_NOT_FRESH) asks the reader to confirm it is
 * them (auth/fresh-sign-in.ts) and is sent once more.
 * The shapes it returns are the server's own schemas (src/shared/api/), through each feature's
 * functions: `fetchBook()`, `getChat(id)`, `savePreferences(patch)`.
 */
export interface ApiOptions {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Sent as JSON. */
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /**
   * false: a 401 is just answered (background calls that must never open a dialog); a function
   * decides when the 401 comes. Default true.
   */
  reauth?: boolean | (() => boolean);
  /** What the caller reads: JSON (the default) or server-sent events (chat answers). */
  accept?: "application/json" | "text/event-stream";
}

const BASE = "/api/v1";

function url(path: string, query?: ApiOptions["query"]): string {
  const u = new URL(BASE + path, window.location.origin);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.pathname + u.search;
}

async function send(path: string, opts: ApiOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: opts.accept ?? "application/json" };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  try {
    return await fetch(url(path, opts.query), {
      method: opts.method ?? "GET",
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    throw networkError();
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * The fetch core, for JSON calls and streams alike: one request to /api/v1{path}, sent again
 * once the session is back after a 401 (see above). Resolves with the response whatever its
 * status; rejects with NETWORK_ERROR, the caller's abort, or the 401 when the reader cancels.
 */
export async function apiFetch(path: string, opts: ApiOptions = {}): Promise<Response> {
  let res = await send(path, opts);
  if (res.status === 403 && ((await readJson(res.clone())) as { code?: unknown } | null)?.code === "SESSION_NOT_FRESH" && (await confirmIdentity())) {
    res = await send(path, opts);
  }
  const reauth = typeof opts.reauth === "function" ? opts.reauth() : opts.reauth !== false;
  if (res.status !== 401 || !reauth) return res;
  // Read now: the connection is free while the reader signs in again.
  const body = await readJson(res);
  if (!(await reauthenticate())) throw apiErrorFrom(res.status, body, res.headers.get("retry-after"));
  return send(path, opts);
}

/** Call /api/v1{path} for JSON: `api<Book>("/book")`, `api<Preferences>("/me/preferences", { method: "PATCH", body })`. */
export async function api<T>(path: string, opts: ApiOptions = {}): Promise<T> {
  const res = await apiFetch(path, opts);
  const body = await readJson(res);
  if (!res.ok) throw apiErrorFrom(res.status, body, res.headers.get("retry-after"));
  return body as T;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}
