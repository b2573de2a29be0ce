import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";
import { containsUnsafeText } from "./text-input.ts";

/** NUL or an unpaired surrogate somewhere in the request (text-input.ts). */
export const unsafeTextError = () =>
  new ApiError(400, "INVALID_CHARACTERS", "The request contains characters that are not allowed (NUL or unpaired surrogates).");

/**
 * Read and validate a JSON body with a zod schema. Malformed JSON, a non-object, or a
 * schema violation is a 400 with a stable code and the offending fields — never a 500.
 * `__proto__` in the body is an ordinary own key after JSON.parse and zod drops or refuses it.
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
  }
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    throw new ApiError(400, "INVALID_JSON", "The request body is not valid JSON.");
  }
  // NUL reaches PostgreSQL as a 500; an unpaired surrogate is silently rewritten on the way.
  if (containsUnsafeText(value)) throw unsafeTextError();
  const result = schema.safeParse(value);
  if (!result.success) {
    const fields = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new ApiError(400, "VALIDATION_FAILED", fields[0] ? `${fields[0].path || "body"}: ${fields[0].message}` : "Invalid body.", {
      fields,
    });
  }
  return result.data;
}
