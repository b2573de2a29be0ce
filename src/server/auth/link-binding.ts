import { createHmac, timingSafeEqual } from "node:crypto";
import { getCookie } from "hono/cookie";
import type { Context } from "hono";

/**
 * Which browser may be signed in by a verification link (ASVS 3.5.3, login CSRF).
 *
 * Better Auth's `/verify-email` signs in whatever browser opens the link, and its anonymous
 * plugin then moves that browser's guest into the account. An attacker who keeps the link of
 * their own sign-up and gets a guest to open it (one visit to their page: a top-level GET carries
 * `SameSite=Lax` cookies) would be handed the guest's chats, and the guest would go on chatting
 * in the attacker's account without noticing.
 *
 * So a link signs in only the browser that asked for it: the one that signed up with that address,
 * asked for a new link, or tried to sign in with its password before verifying. That browser gets
 * this cookie, an HMAC of the address (it reveals nothing: a sign-up with a taken address gets
 * one too). Anywhere else the link verifies the address and signs nobody in: the reader signs in
 * with their password, and a guest who started the sign-up has their chats moved all the same
 * (chat/anonymous-merge.ts: `rememberSignUp`, then `onVerified`).
 */
const COOKIE = "aibook.link_binding";

export interface LinkBinding {
  /** `res`, marking its browser as the one that asked for a link to `email`. */
  bind(res: Response, email: string): Response;
  /** Did this browser ask for a link to `email`? */
  isBound(c: Context, email: string): boolean;
}

export function createLinkBinding(options: { secret: string; secureCookies: boolean; maxAgeSeconds: number }): LinkBinding {
  const name = `${options.secureCookies ? "__Secure-" : ""}${COOKIE}`;
  const mac = (email: string) => createHmac("sha256", options.secret).update(`link-binding:${email.trim().toLowerCase()}`).digest();

  return {
    bind(res, email) {
      const attributes = [
        `Max-Age=${options.maxAgeSeconds}`,
        "Path=/api/auth",
        "HttpOnly",
        "SameSite=Lax",
        ...(options.secureCookies ? ["Secure"] : []),
      ];
      const headers = new Headers(res.headers);
      headers.append("Set-Cookie", `${name}=${mac(email).toString("base64url")}; ${attributes.join("; ")}`);
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    },
    isBound(c, email) {
      const value = getCookie(c, name);
      if (!value) return false;
      const given = Buffer.from(value, "base64url");
      const expected = mac(email);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
