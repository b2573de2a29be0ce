import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Auth } from "./auth.ts";
import { authProvidersSchema } from "../../shared/api/providers.ts";
import { jsonResponse, route } from "../http/route.ts";

const getProviders = createRoute({
  method: "get",
  path: "/providers",
  summary: "Social sign-in providers configured on this server, and the password minimum",
  security: [],
  responses: { 200: jsonResponse(authProvidersSchema, "Providers") },
});

/**
 * GET /api/v1/auth/providers → `{ providers: ["github", ...], passwordMinLength }`: the social
 * sign-in providers Better Auth was actually configured with (auth.ts enables one when both its
 * env vars are set), so the UI shows only buttons that work, and the password minimum the
 * server enforces, so the shared meter applies the same rule.
 */
export function providersRoutes(auth: Auth, passwordMinLength: number) {
  const app = new OpenAPIHono();
  const body = { providers: Object.keys(auth.options.socialProviders ?? {}).sort(), passwordMinLength };
  route(app, getProviders, (c) => c.json(body));
  return app;
}
