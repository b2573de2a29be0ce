import { APIError, createAuthMiddleware, getSessionFromCtx } from "better-auth/api";
import type { BetterAuthPlugin } from "better-auth";
import { checkPasswordRules } from "../../shared/password-policy.ts";
import { currentRequest } from "../http/request-context.ts";

/**
 * Applies our password policy (NIST SP 800-63B, ASVS 6.2) on EVERY path that sets a password,
 * by wrapping Better Auth's `password.hash` (hooks alone miss the admin routes). Route hooks
 * only add whose password it is, so "built from your own name or email" can be checked.
 * Sign-in also calls `hash` (to equalise timing for unknown emails): the policy is skipped
 * there, or an unknown email with a weak password would answer differently from a known one.
 */
export function passwordPolicyPlugin(options: { minLength: number }) {
  return {
    id: "aibook-password-policy",
    init(ctx) {
      const original = ctx.password.hash;
      return {
        context: {
          password: {
            ...ctx.password,
            async hash(password: string) {
              const req = currentRequest();
              if (!req?.verifyingOnly) {
                const verdict = checkPasswordRules(password, req?.passwordOwner ?? {}, { minLength: options.minLength });
                if (!verdict.ok) throw new APIError("BAD_REQUEST", { code: verdict.code, message: verdict.message });
              }
              return original(password);
            },
          },
        },
      };
    },
    hooks: {
      before: [
        {
          matcher: (ctx) =>
            ["/sign-up/email", "/change-password", "/reset-password", "/admin/set-user-password", "/admin/create-user"].includes(
              ctx.path ?? "",
            ),
          handler: createAuthMiddleware(async (ctx) => {
            const req = currentRequest();
            if (!req) return;
            const body = (ctx.body ?? {}) as Record<string, unknown>;
            const str = (v: unknown) => (typeof v === "string" ? v : null);
            if (ctx.path === "/sign-up/email" || ctx.path === "/admin/create-user") {
              req.passwordOwner = { email: str(body.email), name: str(body.name) };
            } else if (ctx.path === "/change-password") {
              const session = await getSessionFromCtx(ctx).catch(() => null);
              if (session) req.passwordOwner = { email: session.user.email, name: session.user.name };
            } else if (ctx.path === "/reset-password") {
              const token = str(body.token) ?? str((ctx.query as Record<string, unknown> | undefined)?.token);
              if (token) {
                const v = await ctx.context.internalAdapter.findVerificationValue(`reset-password:${token}`);
                const user = v ? await ctx.context.internalAdapter.findUserById(v.value) : null;
                if (user) req.passwordOwner = { email: user.email, name: user.name };
              }
            } else if (ctx.path === "/admin/set-user-password") {
              const userId = str(body.userId);
              const user = userId ? await ctx.context.internalAdapter.findUserById(userId) : null;
              if (user) req.passwordOwner = { email: user.email, name: user.name };
            }
          }),
        },
      ],
    },
  } satisfies BetterAuthPlugin;
}
