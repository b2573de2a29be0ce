import { useState } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, Spinner } from "../ui/bits.tsx";
import { authCall } from "./auth-call.ts";
import { authClient } from "./auth-client.ts";
import { providerName, useAuthConfig } from "./auth-config.ts";

/** "Continue with GitHub" and friends: only the providers the server was configured with. */
export function OAuthButtons({ callbackURL }: { callbackURL: string }) {
  const { providers } = useAuthConfig();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (providers.length === 0) return null;

  async function start(provider: string) {
    setBusy(provider);
    setError(null);
    try {
      const data = await authCall((fetchOptions) =>
        authClient.signIn.social({ provider, callbackURL, errorCallbackURL: "/sign-in", disableRedirect: true, fetchOptions }),
      );
      // Off to the provider; the browser comes back to callbackURL (or /sign-in?error=…).
      const url = (data as { url?: string } | null)?.url;
      if (!url || !/^https?:\/\//i.test(url)) throw new Error("no provider URL");
      window.location.assign(url);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(null);
    }
  }

  return (
    <div className="oauth">
      <div className="oauth-buttons">
        {providers.map((p) => (
          <button key={p} type="button" className="button button-secondary button-block" disabled={busy !== null} onClick={() => void start(p)}>
            {busy === p && <Spinner />}
            Continue with {providerName(p)}
          </button>
        ))}
      </div>
      <ErrorMessage>{error}</ErrorMessage>
      <p className="divider">
        <span>or with your email</span>
      </p>
    </div>
  );
}
