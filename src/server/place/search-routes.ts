import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../services.ts";
import { ApiError } from "../http/errors.ts";
import { currentRequest } from "../http/request-context.ts";
import { errorResponse, errorResponses, jsonResponse, route } from "../http/route.ts";
import { RULES } from "../rate-limit/rules.ts";
import { MAX_SEARCH_QUERY, searchQuery, searchResultsSchema } from "../../shared/api/place.ts";
import { containsUnsafeText } from "../http/text-input.ts";
import { unsafeTextError } from "../http/body.ts";
import { searchOf } from "./search.ts";

/** GET /api/v1/book/search — public, like the book; its own per-IP limit on top of the /api/v1 one. */
const searchBook = createRoute({
  method: "get",
  path: "/search",
  summary: "Search the book's titles, headings and text (listed chapters only), best first, at most 20",
  description: "Each result is a section with a plain-text snippet and the offsets of the matched words in it; the snippet is never HTML.",
  security: [],
  request: { query: searchQuery },
  responses: {
    200: jsonResponse(searchResultsSchema, "Results"),
    400: errorResponse(400, `VALIDATION_FAILED: q is missing, blank or longer than ${MAX_SEARCH_QUERY} characters; INVALID_CHARACTERS`),
    ...errorResponses(429),
  },
});

export function searchRoutes(s: Pick<Services, "book" | "limits" | "config">) {
  const app = new OpenAPIHono();
  route(app, searchBook, async (c) => {
    if (s.config.rateLimit) await s.limits.consume(RULES.search, currentRequest()?.limitKey ?? "unknown");
    const q = c.req.queries("q");
    const parsed = searchQuery.safeParse({ q: q?.length === 1 ? q[0] : undefined });
    if (!parsed.success) {
      throw new ApiError(400, "VALIDATION_FAILED", `q: one search of 1 to ${MAX_SEARCH_QUERY} characters.`, { fields: [{ path: "q", message: parsed.error.issues[0]?.message ?? "invalid" }] });
    }
    if (containsUnsafeText(parsed.data.q)) throw unsafeTextError();
    return c.json({ query: parsed.data.q, results: searchOf(s.book.current()).search(parsed.data.q) });
  });
  return app;
}
