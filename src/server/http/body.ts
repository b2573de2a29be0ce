import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";
import { containsUnsafeText } from "./text-input.ts";

/**
 * The one reader of request bodies: for our /api/v1 routes and for the checks we make in front of
 * Better Auth's routes.
 *
 * - Content-type rules, one per kind of caller, all here:
 *   - our /api/v1 routes take JSON as `application/json` or a structured `application/*+json`
 *     type (RFC 6839), in any case, with or without parameters;
 *   - what we read in front of Better Auth's routes (`betterAuth`) must be exactly
 *     `application/json`, the type Better Auth's router parses: a form-encoded or `+json`
 *     sign-in would otherwise reach Better Auth unread by our per-account throttle;
 *   - the token endpoint (`form`, `anyJson`) also takes a form (RFC 6749 §4.3) and, as it always
 *     has, any type that names JSON (`text/json`).
 *   Anything else with a body is refused. A cookie call must be exactly `application/json`
 *   (`isJsonMediaType`, the cross-site guard), which no cross-site form can send.
 * - Read once per request and kept with it: the text comes straight from the socket
 *   (@hono/node-server reads `text()` without building web streams; a `clone()` built two and a
 *   tee), and a request handed on to Better Auth is rebuilt from it (`requestWithBody`).
 * - One answer per problem: 415 UNSUPPORTED_MEDIA_TYPE, 400 INVALID_JSON, 400 INVALID_CHARACTERS,
 *   and with a schema (`jsonBody`) 400 VALIDATION_FAILED with the offending `fields`. Never a 500.
 */
const JSON_TYPE = /^application\/json\s*(;|$)/i;
const JSON_FAMILY = /^application\/(.+\+)?json\s*(;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/** Whether a Content-Type header is exactly `application/json` (parameters and case aside). */
export const isJsonMediaType = (contentType: string | undefined): boolean => JSON_TYPE.test(contentType ?? "");

/** NUL or an unpaired surrogate somewhere in the request (text-input.ts). */
export const unsafeTextError = () =>
  new ApiError(400, "INVALID_CHARACTERS", "The request contains characters that are not allowed (NUL or unpaired surrogates).");

export interface ReadOptions {
  /** Also take `application/x-www-form-urlencoded`, read as an object of strings. */
  form?: boolean;
  /** JSON only as exactly `application/json`: the body Better Auth will parse. */
  betterAuth?: boolean;
  /** JSON as any type that names it (the token endpoint's rule since its first release). */
  anyJson?: boolean;
  /** A blank body is no body: `undefined`, whatever its content type. */
  optional?: boolean;
  /** Only a JSON object: anything else is 400 INVALID_BODY. */
  object?: boolean;
}

interface ReadBody {
  text: string;
  /** Set once the text parsed; a refused body is refused again, the same way, on a second read. */
  parsed?: { value: unknown };
}

const bodies = new WeakMap<Request, ReadBody>();

async function read(request: Request): Promise<ReadBody> {
  let body = bodies.get(request);
  if (!body) {
    body = { text: await request.text() };
    bodies.set(request, body);
  }
  return body;
}

/**
 * The request's body, parsed by the rules above (the same options at every call for one request:
 * the value is kept).
 *
 *   const grant = await readBody(c, { form: true });   // JSON or a form
 */
export async function readBody(c: Context, options: ReadOptions = {}): Promise<unknown> {
  const body = await read(c.req.raw);
  body.parsed ??= { value: parse(c.req.header("content-type"), body.text, options) };
  return body.parsed.value;
}

function isJson(contentType: string, options: ReadOptions): boolean {
  if (options.betterAuth) return JSON_TYPE.test(contentType);
  if (options.anyJson) return contentType.toLowerCase().includes("json");
  return JSON_FAMILY.test(contentType);
}

function parse(contentType: string | undefined, text: string, options: ReadOptions): unknown {
  if (options.optional && text.trim() === "") return undefined;
  let value: unknown;
  if (options.form && FORM_TYPE.test(contentType ?? "")) value = Object.fromEntries(new URLSearchParams(text));
  else if (!isJson(contentType ?? "", options)) throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
  else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError(400, "INVALID_JSON", "The request body is not valid JSON.");
    }
  }
  if (options.object && (!value || typeof value !== "object" || Array.isArray(value))) {
    throw new ApiError(400, "INVALID_BODY", "The request body must be a JSON object.");
  }
  // NUL reaches PostgreSQL as a 500; an unpaired surrogate is silently rewritten on the way.
  if (containsUnsafeText(value)) throw unsafeTextError();
  return value;
}

/**
 * Read and validate a JSON body with a zod schema. Malformed JSON, a non-object, or a schema
 * violation is a 400 with a stable code and the offending fields — never a 500.
 * `__proto__` in the body is an ordinary own key after JSON.parse and zod drops or refuses it.
 * `optional`: a blank body is read as `{}`.
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S, { optional = false }: { optional?: boolean } = {}): Promise<z.infer<S>> {
  const value = await readBody(c, { optional });
  const result = schema.safeParse(optional && value === undefined ? {} : value);
  if (!result.success) {
    const fields = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new ApiError(400, "VALIDATION_FAILED", fields[0] ? `${fields[0].path || "body"}: ${fields[0].message}` : "Invalid body.", {
      fields,
    });
  }
  return result.data;
}

/** The request as it must be handed on (to Better Auth): with its body, when we have already read it. */
export function requestWithBody(c: Context): Request {
  const body = bodies.get(c.req.raw);
  if (!body) return c.req.raw;
  const headers = new Headers(c.req.raw.headers);
  headers.delete("content-length");
  return new Request(c.req.url, { method: c.req.method, headers, body: body.text });
}
