import { createHash } from "node:crypto";
import { emailBody, tooManyAttempts, type RouteKit } from "./kit.ts";
import { errorCode, readJson } from "./forward.ts";

const sha = (s: string) => createHash("sha256").update(s).digest("base64url");

/**
 * POST /sign-in/email: the per-account throttle around it (wrong passwords count, the right one
 * clears them, unless a second-factor code must follow), audit lines, and the plain case answered without Better Auth's endpoint
 * machinery (auth/better-auth/sign-in.ts).
 */
export function signInRoute({ app, s, forward, binding }: RouteKit) {
  app.post("/sign-in/email", async (c) => {
    const body = emailBody.safeParse(await readJson(c));
    if (!body.success) return forward(c);
    const email = body.data.email;
    const throttled = await s.throttle.check(email);
    if (throttled.locked) {
      await s.audit.record({ type: "sign_in_throttled", detail: { account: sha(email.trim().toLowerCase()).slice(0, 12) } });
      throw tooManyAttempts(throttled.retryAfterSeconds);
    }
    const fast = await s.passwordSignIn.attempt(c.req.raw, (await readJson(c))!);
    const res = fast?.response ?? (await forward(c));
    if (res.status === 401) {
      await s.throttle.recordFailure(email);
      await s.audit.record({ type: "sign_in_failed", detail: { method: "password" } });
    } else if (res.status === 200 && (await waitsForSecondFactor(res))) {
      // The right password of an account with a second factor: nothing cleared, no sign-in yet;
      // the code step counts and clears (second-factor.ts).
    } else if (res.status === 200 || res.status === 403) {
      await s.throttle.recordSuccess(email, throttled);
      if (res.status === 200) {
        const userId = fast ? fast.userId : await signedInUserId(res);
        await s.audit.record({ type: "sign_in", userId, detail: { method: "password" } });
      } else if ((await errorCode(res)) === "EMAIL_NOT_VERIFIED") {
        // The right password, not yet verified: a fresh link went out, and this browser may use it.
        return binding.bind(res, email);
      }
    }
    return res;
  });
}

async function waitsForSecondFactor(res: Response): Promise<boolean> {
  const data = (await res.clone().json().catch(() => null)) as { twoFactorRedirect?: unknown } | null;
  return data?.twoFactorRedirect === true;
}

async function signedInUserId(res: Response): Promise<string | null> {
  const data = (await res.clone().json().catch(() => null)) as { user?: { id?: string } } | null;
  return data?.user?.id ?? null;
}
