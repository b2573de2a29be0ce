import type { Context } from "hono";
import { z } from "zod";
import { ApiError } from "../../http/errors.ts";
import { readJson, requestForBetterAuth } from "./forward.ts";
import type { RouteKit } from "./kit.ts";

const resetRequestBody = z.object({ email: z.email().max(320), redirectTo: z.string().max(2048).optional() });

/**
 * POST /request-password-reset (and its old name /forget-password): the same answer in the same
 * time whether or not the account exists (ASVS 6.3.8). The work happens after the response, so
 * neither status, body nor timing tells.
 */
export function passwordResetRoutes({ app, s }: RouteKit) {
  const resetRequest = async (c: Context) => {
    const parsed = resetRequestBody.safeParse(await readJson(c));
    if (!parsed.success) throw new ApiError(400, "INVALID_EMAIL", "Enter a valid email address.");
    const { redirectTo } = parsed.data;
    if (redirectTo !== undefined && !s.isTrustedRedirect(redirectTo)) {
      throw new ApiError(400, "INVALID_REDIRECT", "redirectTo must be a path on this site.");
    }
    const request = requestForBetterAuth(c);
    const quota = await s.mailQuota.take("reset", parsed.data.email);
    if (quota.allowed) {
      void s.auth.handler(request).then(
        (res) => {
          if (res.status >= 400) s.logger.warn({ status: res.status }, "background password reset request failed");
        },
        (err) => s.logger.error({ err }, "background password reset request failed"),
      );
    }
    return c.json({ status: true, message: "If this email belongs to an account, a reset link is on its way." });
  };
  app.post("/request-password-reset", resetRequest);
  app.post("/forget-password", resetRequest);
}
