import type { Auth } from "./auth.ts";
import type { SessionRules } from "./better-auth/session.ts";
import { CLIENT_IP_HEADER } from "../http/client-ip-header.ts";

/**
 * A second factor checked for the token API's password grant, by Better Auth's own two-factor
 * routes (their code format, attempt counting, lockout and single-use recovery codes): a sign-in
 * through its handler (which answers with the pending-challenge cookie), then the code against
 * `/two-factor/verify-totp` (six digits) or `/two-factor/verify-backup-code`. The browser session
 * Better Auth opens on success is deleted at once: the token API issues its own tokens.
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

  return {
    /** Whether `code` is a right TOTP or an unused recovery code of this account (password already checked). */
    async verify(email: string, password: string, code: string, ip: string): Promise<boolean> {
      const challenge = await call("/sign-in/email", { email, password }, { [CLIENT_IP_HEADER]: ip });
      const pending = (await challenge.clone().json().catch(() => null)) as { twoFactorRedirect?: boolean } | null;
      if (challenge.status !== 200 || !pending?.twoFactorRedirect) return false;
      const trimmed = code.trim();
      const path = /^\d{6}$/.test(trimmed) ? "/two-factor/verify-totp" : "/two-factor/verify-backup-code";
      const res = await call(path, { code: trimmed }, { cookie: cookiesOf(challenge), [CLIENT_IP_HEADER]: ip });
      if (res.status !== 200) return false;
      const ctx = await auth.$context;
      for (const line of res.headers.getSetCookie()) {
        const token = session.tokenFromSetCookie(line);
        if (token) await ctx.internalAdapter.deleteSession(token);
      }
      return true;
    },
  };
}

export type SecondFactorCheck = ReturnType<typeof createSecondFactorCheck>;
