import { emailBody, tooManyMails, type RouteKit } from "./kit.ts";
import { readJson } from "./forward.ts";

/** The shortest time a sign-up is answered in, whether the address is new or taken. */
const SIGN_UP_MIN_MS = 40;

/**
 * POST /sign-up/email and /send-verification-email. The browser that signs up (or asks for a
 * new link) is the one its verification link may sign in (link-binding.ts): set for a taken
 * address too, whose answer is the same.
 */
export function signUpRoutes({ app, s, forward, binding }: RouteKit) {
  app.post("/send-verification-email", async (c) => {
    const body = emailBody.safeParse(await readJson(c));
    if (body.success) {
      const decision = await s.mailQuota.take("verify", body.data.email);
      if (!decision.allowed) throw tooManyMails(decision.retryAfterSeconds);
    }
    const res = await forward(c);
    return body.success && res.status === 200 ? binding.bind(res, body.data.email) : res;
  });

  app.post("/sign-up/email", async (c) => {
    const started = performance.now();
    const body = emailBody.safeParse(await readJson(c));
    const res = await forward(c);
    // A new address costs two more rows (user, account) than a taken one, which does the same
    // mail and audit work (auth.ts onExistingUserSignUp): ~1.5 ms here. Every answer takes at
    // least SIGN_UP_MIN_MS, well above that difference (ASVS 6.3.8).
    const wait = SIGN_UP_MIN_MS - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return body.success && res.status === 200 ? binding.bind(res, body.data.email) : res;
  });
}
