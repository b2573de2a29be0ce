import type { Context } from "hono";
import { ApiError } from "../../http/errors.ts";
import { verificationLinkClaims } from "../better-auth/verification.ts";
import type { RouteKit } from "./kit.ts";
import { errorCode } from "./forward.ts";
import { signsNoOneIn } from "../plugins/sign-in-challenge.ts";

/** GET /verify-email: each link used once, and signing in only the browser that asked for it. */
export function verifyEmailRoute({ app, s, forward, binding }: RouteKit) {
  // Better Auth's verification links are stateless JWTs, valid until they expire; we make each
  // usable once (ASVS 6.4.1) by recording its hash before Better Auth acts on it (so two
  // requests at once cannot both use it), and giving it back when Better Auth refuses it: an
  // email-change confirmation opened in a browser signed in as someone else is refused
  // (INVALID_USER) and must still work for its owner afterwards.
  // A link signs in only the browser that asked for it (link-binding.ts); anywhere else it
  // verifies the address and leaves the browser as it was (ASVS 3.5.3).
  app.get("/verify-email", async (c) => {
    const token = c.req.query("token");
    const callbackURL = c.req.query("callbackURL");
    // One redirect check for every answer of this route, ours and Better Auth's (ASVS 3.7.2).
    if (callbackURL !== undefined && !s.isTrustedRedirect(callbackURL)) {
      throw new ApiError(403, "INVALID_CALLBACK_URL", "callbackURL must be a path on this site.");
    }
    let claimed = false;
    if (token && token.length <= 4096) {
      const fresh = await s.usedTokens.claim("verify-email", token, Date.now() + 2 * 86_400_000);
      claimed = fresh;
      if (!fresh) {
        if (callbackURL) return c.redirect(withParam(callbackURL, s.config.baseURL, "error", "TOKEN_ALREADY_USED"), 302);
        throw new ApiError(400, "TOKEN_ALREADY_USED", "This link has already been used.");
      }
    }
    const email = token ? signUpLinkEmail(token) : null;
    const res = email && !binding.isBound(c, email) ? await verifyWithoutSignIn(c) : await forward(c);
    if (claimed && refused(res)) await s.usedTokens.release("verify-email", token!);
    // A suspended account: the browser lands on the page that says so, not on a JSON answer.
    if (callbackURL && res.status === 403 && (await errorCode(res)) === "BANNED_USER") {
      return c.redirect(withParam(callbackURL, s.config.baseURL, "error", "BANNED_USER"), 302);
    }
    return res;
  });

  /**
   * Better Auth's verification for a browser the link may not sign in: it sees no cookie (so no
   * session of this browser is replaced or linked), and the session it creates for the account
   * is deleted before its cookie could leave. The browser lands on the callback with
   * `sign_in=required`: the page says the address is verified and offers to sign in.
   */
  async function verifyWithoutSignIn(c: Context): Promise<Response> {
    const headers = new Headers(c.req.raw.headers);
    headers.delete("cookie");
    const request = new Request(c.req.url, { method: "GET", headers });
    // Its session is deleted below: no second-factor challenge either (plugins/sign-in-challenge.ts).
    signsNoOneIn(request);
    const res = await forward(c, request);
    const ctx = await s.auth.$context;
    const out = new Headers();
    for (const [key, value] of res.headers) if (key !== "set-cookie") out.append(key, value);
    for (const line of res.headers.getSetCookie()) {
      const sessionToken = s.session.tokenFromSetCookie(line);
      if (sessionToken) await ctx.internalAdapter.deleteSession(sessionToken);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location && !refused(res)) out.set("location", withParam(location, s.config.baseURL, "sign_in", "required"));
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  }
}

/** `url` (a path or one of our URLs, resolved against `base`) with `name=value` added to its query. */
function withParam(url: string, base: string, name: string, value: string): string {
  const parsed = new URL(url, base);
  parsed.searchParams.set(name, value);
  return parsed.toString();
}

/**
 * The address of a sign-up verification link (Better Auth's HS256 JWT: `{ email }`), read
 * without checking the signature: Better Auth checks it. `null` for an email-change link
 * (`updateTo`), which never signs anyone in, and for anything that is not such a token.
 */
function signUpLinkEmail(token: string): string | null {
  const claims = verificationLinkClaims(token);
  return claims && claims.updateTo === undefined ? claims.email : null;
}

/** Better Auth said no: an error status, or its redirect to the callback with `?error=`. */
function refused(res: Response): boolean {
  if (res.status >= 400) return true;
  const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
  if (!location) return false;
  try {
    return new URL(location, "http://x").searchParams.has("error");
  } catch {
    return false;
  }
}
