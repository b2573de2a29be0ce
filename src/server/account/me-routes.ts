import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Services } from "../services.ts";
import { jsonBody } from "../http/body.ts";
import type { CallerEnv } from "../http/env.ts";
import { ApiError } from "../http/errors.ts";
import { errorResponses, jsonResponse, route } from "../http/route.ts";
import type { Preferences } from "../../shared/preferences.ts";
import { meSchema, preferences as preferencesSchema, preferencesPatch, securityEventsPageSchema, securityEventsQuery } from "../../shared/api/me.ts";
import { preferencesReader, updatePreferences } from "./preferences.ts";
import { reauthenticateRoutes } from "./reauthenticate.ts";

const getMe = createRoute({
  method: "get",
  path: "/",
  summary: "The caller's profile, role and preferences",
  responses: { 200: jsonResponse(meSchema, "Profile"), ...errorResponses(401, 503) },
});

const getPreferences = createRoute({
  method: "get",
  path: "/preferences",
  summary: "The caller's preferences",
  responses: { 200: jsonResponse(preferencesSchema, "Preferences"), ...errorResponses(401, 503) },
});

const patchPreferences = createRoute({
  method: "patch",
  path: "/preferences",
  summary: "Change some preferences",
  request: { body: { required: true, content: { "application/json": { schema: preferencesPatch } } } },
  responses: { 200: jsonResponse(preferencesSchema, "Preferences after the change"), ...errorResponses(400, 401, 503) },
});

const getSecurityEvents = createRoute({
  method: "get",
  path: "/security-events",
  summary: "The caller's own security events, newest first",
  description: "A page runs longer than `limit` only when more events than that share one millisecond; `nextBefore` is null on the last page.",
  request: { query: securityEventsQuery },
  responses: { 200: jsonResponse(securityEventsPageSchema, "A page of events"), ...errorResponses(400, 401, 503) },
});

/** The caller's own profile, preferences and security activity (cookie or bearer). */
export function meRoutes(s: Services) {
  const app = new OpenAPIHono<CallerEnv>();
  app.use("*", s.callers.requireCaller());
  app.route("/", reauthenticateRoutes(s));
  const preferences = preferencesReader(s.db);
  s.userEvents.subscribe(preferences.forget);

  route(app, getMe, (c): Response | Promise<Response> => {
    const { user, via } = c.get("caller");
    const body = (prefs: Preferences): Response => c.json({ ...user, preferences: prefs, authenticatedVia: via });
    // Cached preferences (nearly every call): answered without a promise.
    const prefs = preferences.readNow(user.id);
    return prefs instanceof Promise ? prefs.then(body) : body(prefs);
  });

  route(app, getPreferences, async (c) => c.json(await preferences.read(c.get("caller").userId)));

  route(app, patchPreferences, async (c) => {
    const patch = await jsonBody(c, preferencesPatch);
    const userId = c.get("caller").userId;
    try {
      return c.json(await updatePreferences(s.db.kysely, userId, patch));
    } finally {
      preferences.forget(userId);
    }
  });

  route(app, getSecurityEvents, async (c) => {
    const q = securityEventsQuery.safeParse(c.req.query());
    // A bad cursor or limit used to be ignored silently (200 with defaults).
    if (!q.success) throw new ApiError(400, "VALIDATION_FAILED", "limit must be an integer from 1 to 100 and before a positive integer.");
    const { limit, before } = q.data;
    const base = s.db.kysely
      .selectFrom("security_event")
      .select(["id", "type", "ip", "user_agent", "detail", "created_at"])
      .where("user_id", "=", c.get("caller").userId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc");
    const rows = await (before ? base.where("created_at", "<", before) : base).limit(limit + 1).execute();
    let page = rows.slice(0, limit);
    let nextBefore: number | null = null;
    if (rows.length > limit) {
      // The cursor is exclusive and in milliseconds: a page must not end inside a run of events
      // sharing one millisecond, or the rest of the run would be skipped (they used to be).
      const edge = Number(page[page.length - 1]!.created_at);
      if (Number(rows[limit]!.created_at) !== edge) nextBefore = edge;
      else if (Number(page[0]!.created_at) !== edge) {
        page = page.filter((r) => Number(r.created_at) > edge);
        nextBefore = edge + 1;
      } else {
        // The whole page is one millisecond: return all of it, even past `limit`.
        page = await base.where("created_at", "=", edge).execute();
        nextBefore = edge;
      }
    }
    return c.json({
      events: page.map((r) => ({
        id: r.id,
        type: r.type,
        ip: r.ip,
        userAgent: r.user_agent,
        detail: r.detail ? (JSON.parse(r.detail) as unknown) : null,
        createdAt: new Date(Number(r.created_at)).toISOString(),
      })),
      nextBefore,
    });
  });

  return app;
}
