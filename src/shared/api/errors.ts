import { z } from "zod";

/**
 * Every error of our API (server: src/server/http/errors.ts): a stable UPPER_SNAKE `code` the UI
 * keys on and a human `message`, with a few extras on some errors.
 */
export const apiErrorSchema = z
  .looseObject({
    code: z.string().meta({ example: "VALIDATION_FAILED" }),
    message: z.string(),
    retryAfter: z.number().int().optional().meta({ description: "On a 429: seconds to wait, as in the Retry-After header" }),
    fields: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "On VALIDATION_FAILED: the offending fields of the body (at most 20)" }),
  })
  .meta({ id: "Error", description: "`code` is stable (the UI keys on it); `message` is for people." });

export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

/** ISO 8601 UTC time, as `Date.prototype.toISOString()` writes it. */
export const isoTime = z.iso.datetime();
