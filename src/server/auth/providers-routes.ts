import { Hono } from "hono";
import type { Auth } from "./auth.ts";

/**
 * GET /api/v1/auth/providers → `{ providers: ["github", ...], passwordMinLength }`: the social
 * sign-in providers Better Auth was actually configured with (auth.ts enables one when both its
 * env vars are set), so the UI shows only buttons that work, and the password minimum the
 * server enforces, so the shared meter applies the same rule.
 */
export function providersRoutes(auth: Auth, passwordMinLength: number) {
  const app = new Hono();
  const body = { providers: Object.keys(auth.options.socialProviders ?? {}).sort(), passwordMinLength };
  app.get("/providers", (c) => c.json(body));
  return app;
}
