import { randomBytes } from "node:crypto";
import { ApiError } from "../../http/errors.ts";
import { verificationIdentifier } from "../better-auth/verification.ts";
import { readJson } from "./forward.ts";
import { tooManyAttempts, type RouteKit } from "./kit.ts";

/** POST /delete-user: with the password, or with a confirmation mail. */
export function deleteUserRoute({ app, s, forward }: RouteKit) {
  // "Password OR a confirmation email": Better Auth 1.7 mails a confirmation even when the right
  // password is sent (sendDeleteAccountVerification wins). With a password we check it here and,
  // when right, hand Better Auth a one-time deletion token for this session's user, so its own
  // deletion runs (origin and session checks, cookie cleared, afterDelete: audit, cache). Without
  // a password, Better Auth mails the confirmation link.
  app.post("/delete-user", async (c) => {
    const password = (await readJson(c))?.password;
    if (typeof password !== "string") return forward(c);
    const origin = c.req.header("origin") || c.req.header("referer") || "";
    const sameSite = /^https?:\/\//i.test(origin) && s.isTrustedRedirect(origin);
    // No cookie or a foreign origin: Better Auth gives its own 401/403.
    if (!c.req.header("cookie") || !sameSite) return forward(c);
    const session = await s.auth.api.getSession({ headers: c.req.raw.headers }).catch(() => null);
    if (!session) return forward(c);
    const { id: userId, email } = session.user;
    const throttled = await s.throttle.check(email);
    if (throttled.locked) throw tooManyAttempts(throttled.retryAfterSeconds);
    const checked = await s.credentials.verify(email, password);
    if (!checked.ok && !checked.hasPassword) throw new ApiError(400, "CREDENTIAL_ACCOUNT_NOT_FOUND", "This account has no password: confirm by email instead.");
    if (!checked.ok || checked.user.id !== userId) {
      await s.throttle.recordFailure(email);
      throw new ApiError(400, "INVALID_PASSWORD", "The password is not right.");
    }
    const token = randomBytes(32).toString("base64url");
    const ctx = await s.auth.$context;
    await ctx.internalAdapter.createVerificationValue({
      value: userId,
      identifier: verificationIdentifier.deleteAccount(token),
      expiresAt: new Date(Date.now() + 60_000),
    });
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    headers.delete("content-length");
    return forward(c, new Request(c.req.url, { method: "POST", headers, body: JSON.stringify({ token }) }));
  });
}
