import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";
import { SkeletonLines, useDocumentTitle } from "../ui/bits.tsx";
import { SignInButton } from "./AuthDialogs.tsx";
import { useAuth } from "./AuthProvider.tsx";
import { sessionStore } from "./session-store.ts";
import { ResendVerification } from "./ResendVerification.tsx";
import { apiErrorFrom } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";

/** `/verified[?error=…]`: where the verification link lands (Better Auth redirects here). */
export function VerifiedPage() {
  const [params] = useSearchParams();
  const error = params.get("error");
  // The link verified the address but did not sign this browser in: it was not the browser that
  // asked for it (a guest's or someone else's session here stays as it was).
  const signInRequired = !error && params.get("sign_in") === "required";
  const { state, refresh } = useAuth();
  const refreshed = useRef(false);

  // The link signed this browser in: pick up the new session here and in every other tab.
  useEffect(() => {
    if (error || refreshed.current) return;
    refreshed.current = true;
    void refresh().then(() => sessionStore.broadcast());
  }, [error, refresh]);

  const title =
    error === "BANNED_USER"
      ? "This account is suspended"
      : error === "TOKEN_EXPIRED"
      ? "This link has expired"
      : error === "TOKEN_ALREADY_USED"
        ? "This link has already been used"
        : error
          ? "This link isn't valid"
          : "Email verified";
  useDocumentTitle(title);

  if (error === "BANNED_USER") {
    return (
      <div className="page-content narrow">
        <h1>{title}</h1>
        <p className="lead">{errorMessage(apiErrorFrom(403, { code: "BANNED_USER" }))}</p>
      </div>
    );
  }

  if (error === "TOKEN_ALREADY_USED") {
    return (
      <div className="page-content narrow">
        <h1>{title}</h1>
        <p className="lead">Your email address was already confirmed with this link. You can sign in.</p>
        <p>
          <SignInButton />
        </p>
      </div>
    );
  }

  if (error) {
    return (
      <div className="page-content narrow">
        <h1>{title}</h1>
        <p className="lead">
          {error === "TOKEN_EXPIRED"
            ? "Verification links work for 24 hours. Ask for a new one below."
            : "The link may be incomplete (some email apps break long links) or replaced by a newer one. Ask for a new one below."}
        </p>
        <h2>Send a new link</h2>
        <ResendVerification buttonLabel="Send a new link" />
      </div>
    );
  }

  if (signInRequired) {
    return (
      <div className="page-content narrow">
        <h1>{title}</h1>
        <p className="lead" role="status">
          Your email address is confirmed. A link opened outside the browser you signed up in does not sign you in, so
          nobody can sign you in to an account that is not yours: sign in with your email and password to continue.
        </p>
        {state.status === "signed-in" && (
          <p>
            This browser is still signed in as {state.user.name} ({state.user.email}).
          </p>
        )}
        <p>
          <SignInButton />
        </p>
      </div>
    );
  }

  return (
    <div className="page-content narrow">
      <h1>{title}</h1>
      {state.status === "loading" ? (
        <SkeletonLines lines={2} label="Signing you in…" />
      ) : state.status === "signed-in" ? (
        <>
          <p className="lead" role="status">
            Thank you, {state.user.name}. Your email address is confirmed and you're signed in.
          </p>
          <p>
            <Link to="/" className="button button-primary">
              Start reading
            </Link>
          </p>
        </>
      ) : (
        <>
          <p className="lead" role="status">
            Your email address is confirmed. Sign in to continue.
          </p>
          <p>
            <SignInButton />
          </p>
        </>
      )}
    </div>
  );
}
