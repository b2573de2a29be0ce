import type { Auth } from "./auth.ts";
import type { SessionRules } from "./better-auth/session.ts";
import { CLIENT_IP_HEADER } from "../http/client-ip-header.ts";

/**
 * A sign-in through Better Auth's own handler, second factor included, for our routes that take
 * a password after checking it themselves (the per-account throttle, one timing defence): the
 * token API's password grant and re-authentication. The code goes to Better Auth's two-factor
 * routes (their code format, attempt counting, lockout and single-use recovery codes): a sign-in
 * (which answers with the pending-challenge cookie), then `/two-factor/verify-totp` (six digits)
 * or `/two-factor/verify-backup-code`.
 */
export function createSecondFactorCheck(auth: Auth, session: SessionRules, baseURL: string) {
  const call = (path: string, body: object, headers: Record<string, string>) =>
    auth.handler(
      new Request(`${baseURL}/api/auth${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: baseURL, ...headers },
        body: JSON.stringify(body),
      }),
    );
  const cookiesOf = (res: Response) =>
    res.headers
      .getSetCookie()
      .map((line) => line.split(";")[0]!)
      .join("; ");

  /**
   * Sign in with the password and, for an account with a second factor, `code`: the session
   * cookies of the new session (Set-Cookie lines), or null when Better Auth refused (a wrong or
   * used code; the password was checked before).
   */
  async function signIn(email: string, password: string, code: string | undefined, meta: { ip: string; userAgent?: string }): Promise<{ setCookies: string[]; token: string } | null> {
    const headers: Record<string, string> = { [CLIENT_IP_HEADER]: meta.ip, ...(meta.userAgent ? { "user-agent": meta.userAgent } : {}) };
    let res = await call("/sign-in/email", { email, password }, headers);
    const answer = (await res.clone().json().catch(() => null)) as { twoFactorRedirect?: boolean } | null;
    if (res.status !== 200) return null;
    if (answer?.twoFactorRedirect) {
      const trimmed = code?.trim() ?? "";
      if (!trimmed) return null;
      const path = /^\d{6}$/.test(trimmed) ? "/two-factor/verify-totp" : "/two-factor/verify-backup-code";
      res = await call(path, { code: trimmed }, { ...headers, cookie: cookiesOf(res) });
      if (res.status !== 200) return null;
    }
    const setCookies = res.headers.getSetCookie();
    const token = setCookies.map((line) => session.tokenFromSetCookie(line)).find(Boolean);
    return token ? { setCookies, token } : null;
  }

  return {
    signIn,
    /** Whether `code` is a right TOTP or an unused recovery code of this account (password already checked); leaves no session. */
    async verify(email: string, password: string, code: string, ip: string): Promise<boolean> {
      if (!code.trim()) return false;
      const done = await signIn(email, password, code, { ip });
      if (!done) return false;
      const ctx = await auth.$context;
      await ctx.internalAdapter.deleteSession(done.token);
      return true;
    },
  };
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>;
