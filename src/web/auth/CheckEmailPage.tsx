import { useSearchParams } from "react-router";
import { useDocumentTitle } from "../ui/bits.tsx";
import { useAuthDialogs } from "./AuthDialogs.tsx";
import { ResendVerification } from "./ResendVerification.tsx";

/** `/check-email?email=…`: after registering, or after signing in before verifying. */
export function CheckEmailPage() {
  const [params] = useSearchParams();
  const email = params.get("email")?.trim() || undefined;
  const { openSignIn } = useAuthDialogs();
  useDocumentTitle("Check your email");

  return (
    <div className="page-content narrow">
      <h1>Check your email</h1>
      {email ? (
        <p className="lead">
          We've sent a link to <strong>{email}</strong>. Open it to confirm your address and finish creating your account.
        </p>
      ) : (
        <p className="lead">We've sent you a link. Open it to confirm your address and finish creating your account.</p>
      )}
      <p>The link works once and expires in 24 hours. If you can't find the email, check your spam folder.</p>
      <h2>Didn't get it?</h2>
      <ResendVerification email={email} />
      <p>
        Already confirmed?{" "}
        <button type="button" className="link-button" onClick={() => openSignIn({ email })}>
          Sign in
        </button>
      </p>
    </div>
  );
}
