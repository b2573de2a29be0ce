import { pendingSecondFactorUserId } from "../better-auth/two-factor.ts";
import { tooManyAttempts, type RouteKit } from "./kit.ts";

/**
 * POST /two-factor/verify-totp and /verify-backup-code while a sign-in waits for its code: the
 * per-account throttle counts wrong codes as it counts wrong passwords (the right password alone
 * clears nothing, sign-in.ts), and a locked account is refused before Better Auth checks the
 * code; the right code clears the count and is the sign-in of the audit log. Codes confirming an
 * enrolment (a signed-in reader, no pending sign-in) go straight to Better Auth.
 */
export function secondFactorRoutes({ app, s, forward }: RouteKit) {
  for (const path of ["/two-factor/verify-totp", "/two-factor/verify-backup-code"]) {
    app.post(path, async (c) => {
      const userId = await pendingSecondFactorUserId(await s.auth.$context, c.req.header("cookie"));
      const user = userId ? await s.db.kysely.selectFrom("user").select(["id", "email"]).where("id", "=", userId).executeTakeFirst() : undefined;
      if (!user) return forward(c);
      const throttled = await s.throttle.check(user.email);
      if (throttled.locked) {
        await s.audit.record({ type: "sign_in_throttled", userId: user.id, detail: { factor: "second" } });
        throw tooManyAttempts(throttled.retryAfterSeconds);
      }
      const res = await forward(c);
      if (res.status === 401) {
        await s.throttle.recordFailure(user.email);
        // The first step (a password, a provider, a link) is behind us and not known here.
        await s.audit.record({ type: "sign_in_failed", userId: user.id, detail: { factor: "second" } });
      } else if (res.status === 200) {
        await s.throttle.recordSuccess(user.email, throttled);
        await s.audit.record({ type: "sign_in", userId: user.id, detail: { factor: path.endsWith("backup-code") ? "recovery_code" : "totp" } });
      }
      return res;
    });
  }
}
