import { createAuthClient } from "better-auth/react";
import { adminClient, anonymousClient, twoFactorClient } from "better-auth/client/plugins";

/**
 * Better Auth's official client against our server's /api/auth/* routes (same origin, cookies).
 * The app keeps its own session state (session-store.ts); this client is used for the calls.
 */
export const authClient = createAuthClient({
  baseURL: window.location.origin,
  basePath: "/api/auth",
  fetchOptions: { credentials: "same-origin" },
  // No automatic `window.location = data.url`: sign-in carries a callbackURL (for the verification
  // link it may trigger) that must not navigate on success. OAuth redirects are done by hand.
  disableDefaultFetchPlugins: true,
  plugins: [
    adminClient(),
    anonymousClient(),
    // SignInForm.tsx asks for the code itself when sign-in answers `twoFactorRedirect`; the no-op
    // keeps the plugin from ever leaving the page for a two-factor page of its own.
    twoFactorClient({ onTwoFactorRedirect: () => {} }),
  ],
});

export type AuthClient = typeof authClient;
