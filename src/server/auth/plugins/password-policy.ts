import { APIError } from "better-auth/api";
import type { BetterAuthPlugin } from "better-auth";
import { checkPasswordRules, type PasswordUserContext } from "../../../shared/password-policy.ts";
import { currentEndpoint, endpointUser, type EndpointContext } from "../better-auth/endpoint.ts";
import { verificationIdentifier } from "../better-auth/verification.ts";

/**
 * Applies our password policy (NIST SP 800-63B, ASVS 6.2) on EVERY path that sets a password,
 * by wrapping Better Auth's `password.hash` (hooks alone miss the admin routes). Whose password
 * it is (for "not built from your own name or email") comes from the endpoint being run.
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
              const endpoint = currentEndpoint();
              if (endpoint?.path !== "/sign-in/email") {
                const owner = endpoint ? await passwordOwner(endpoint) : {};
                const verdict = checkPasswordRules(password, owner, { minLength: options.minLength });
                if (!verdict.ok) throw new APIError("BAD_REQUEST", { code: verdict.code, message: verdict.message });
              }
              return original(password);
            },
          },
        },
      };
    },
  } satisfies BetterAuthPlugin;
}

/** Whose password an endpoint sets: the new account's, the signed-in reader's, or the one a reset link or an admin names. */
async function passwordOwner(ctx: EndpointContext): Promise<PasswordUserContext> {
  const body = (ctx.body ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const of = (user: { email: string; name: string } | null | undefined) => (user ? { email: user.email, name: user.name } : {});
  switch (ctx.path) {
    case "/sign-up/email":
    case "/admin/create-user":
      return { email: str(body.email), name: str(body.name) };
    case "/change-password":
      return of(await endpointUser(ctx));
    case "/reset-password": {
      const token = str(body.token) ?? str((ctx.query as Record<string, unknown> | undefined)?.token);
      const v = token ? await ctx.context.internalAdapter.findVerificationValue(verificationIdentifier.resetPassword(token)) : null;
      return of(v ? await ctx.context.internalAdapter.findUserById(v.value) : null);
    }
    case "/admin/set-user-password": {
      const userId = str(body.userId);
      return of(userId ? await ctx.context.internalAdapter.findUserById(userId) : null);
    }
    default:
      return {};
  }
}
