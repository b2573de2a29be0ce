/**
 * Better Auth's two-factor challenge, run on sign-in paths it does not cover. Its two-factor
 * plugin asks for the code only after `/sign-in/email|username|phone-number` (an after-hook
 * matched on those paths). The hook's handler itself looks only at the session the route just
 * opened (`ctx.context.newSession`): for an account with a factor and no valid trusted-device
 * cookie it deletes that session and its cookie, writes the pending challenge (a `2fa-…`
 * verification row and its attempt counter) and sets the signed `two_factor` cookie, and answers
 * `{ twoFactorRedirect: true }`; with a valid trusted-device cookie it renews that cookie and lets
 * the session be. Running that same handler on our other paths gives them Better Auth's own
 * challenge, which its `/two-factor/verify-*` routes then complete as usual.
 * test/integration/sign-in-paths-second-factor.test.ts checks both outcomes on every path.
 */
import type { BetterAuthPlugin } from "better-auth";

type Hook = NonNullable<NonNullable<BetterAuthPlugin["hooks"]>["after"]>[number];
type HookContext = Parameters<Hook["handler"]>[0];

/** Better Auth's after-hook handler that challenges a password sign-in (found by asking its matcher). */
export function twoFactorChallengeHandler(twoFactorPlugin: BetterAuthPlugin): Hook["handler"] {
  const hook = twoFactorPlugin.hooks?.after?.find((h) => h.matcher({ path: "/sign-in/email" } as never));
  if (!hook) throw new Error("Better Auth's two-factor plugin has no sign-in hook: review auth/better-auth/two-factor-challenge.ts");
  return hook.handler;
}

/**
 * Run the challenge in a hook of ours (`ctx`: our hook's context): its cookies join our answer.
 * Better Auth's answer when it challenged (the session is gone and the pending challenge is
 * set), else null: no factor, or a trusted device whose cookie was renewed.
 */
export async function runTwoFactorChallenge(handler: Hook["handler"], ctx: HookContext): Promise<{ twoFactorRedirect: true } | null> {
  const result = (await handler({ ...ctx, returnHeaders: true } as never)) as { headers?: Headers | null; response?: unknown };
  const ours = (ctx as unknown as { responseHeaders: Headers }).responseHeaders;
  for (const line of result.headers?.getSetCookie() ?? []) ours.append("set-cookie", line);
  const answer = result.response as { twoFactorRedirect?: unknown } | undefined;
  return answer?.twoFactorRedirect === true ? (answer as { twoFactorRedirect: true }) : null;
}
