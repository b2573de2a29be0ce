import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, SubmitButton } from "../ui/bits.tsx";
import { EmailField, emailProblem, CurrentPasswordField } from "../ui/fields.tsx";
import { useAuth } from "./AuthProvider.tsx";
import { startMailCooldown } from "./mail-cooldown.ts";
import { OAuthButtons } from "./OAuthButtons.tsx";
import { SecondFactorStep } from "./SecondFactorStep.tsx";

export interface SignInFormProps {
  titleId: string;
  initialEmail?: string;
  /** Why we ask ("Your session ended…"), shown above the form. */
  notice?: string | null;
  oauthCallbackURL: string;
  onSignedIn(): void;
  onSwitchToRegister(): void;
  /** Leaving the dialog for another page (forgot password, check email). */
  onLeave(): void;
}

/**
 * Email + password sign-in, inside the sign-in dialog; then, for an account with two-step
 * verification, the code step (SecondFactorStep), which signs in the same way.
 */
export function SignInForm({ titleId, initialEmail = "", notice, oauthCallbackURL, onSignedIn, onSwitchToRegister, onLeave }: SignInFormProps) {
  const { signIn } = useAuth();
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState("");
  const [emailTouched, setEmailTouched] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [sending, setSending] = useState(false);
  const [serverError, setServerError] = useState<ApiError | null>(null);
  const [step, setStep] = useState<"password" | "second-factor">("password");
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const backFromCode = useRef(false);
  // First field first (also when switching here from the register form inside the open dialog);
  // the password once back from the code step, the email being known.
  useEffect(() => (backFromCode.current ? passwordRef : emailRef).current?.focus(), [step]);

  const emailError = submitted || emailTouched ? emailProblem(email) : null;
  const passwordError = submitted && !password ? "Enter your password." : null;
  const credentialsWrong = serverError?.code === "INVALID_EMAIL_OR_PASSWORD";

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    if (emailProblem(email)) return emailRef.current?.focus();
    if (!password) return passwordRef.current?.focus();
    setSending(true);
    setServerError(null);
    try {
      if ((await signIn(email.trim(), password)) === "signed-in") return onSignedIn();
      // The password was right; it is not kept while the code is asked for.
      setPassword("");
      setSubmitted(false);
      setSending(false);
      setStep("second-factor");
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(500, "INTERNAL_ERROR", "");
      // The server has just sent a fresh link (sendOnSignIn): the resend button waits a minute.
      if (apiErr.code === "EMAIL_NOT_VERIFIED") startMailCooldown(email.trim());
      setServerError(apiErr);
      setSending(false);
    }
  }

  if (step === "second-factor") {
    return (
      <SecondFactorStep
        titleId={titleId}
        onSignedIn={onSignedIn}
        onRestart={(error) => {
          backFromCode.current = true;
          setServerError(error);
          setStep("password");
        }}
      />
    );
  }

  const formErrorId = `${titleId}-error`;
  return (
    <>
      <h2 id={titleId}>Sign in</h2>
      {notice && <p className="notice notice-info">{notice}</p>}
      <OAuthButtons callbackURL={oauthCallbackURL} />
      <form noValidate onSubmit={(e) => void submit(e)} aria-describedby={serverError ? formErrorId : undefined}>
        <EmailField
          name="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          onBlur={(e) => e.relatedTarget && email && setEmailTouched(true)}
          error={emailError}
          describedBy={credentialsWrong ? formErrorId : undefined}
          inputRef={emailRef}
          data-autofocus
          required
        />
        <CurrentPasswordField
          name="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
          describedBy={credentialsWrong ? formErrorId : undefined}
          inputRef={passwordRef}
        />
        <p className="form-aside">
          <Link to="/forgot-password" onClick={onLeave}>
            Forgot password?
          </Link>
        </p>
        {serverError && (
          <ErrorMessage id={formErrorId}>
            {errorMessage(serverError)}
            {serverError.code === "EMAIL_NOT_VERIFIED" && (
              <>
                {" "}
                <Link to={`/check-email?email=${encodeURIComponent(email.trim())}`} onClick={onLeave}>
                  Go to the check-your-email page
                </Link>
              </>
            )}
          </ErrorMessage>
        )}
        <SubmitButton busy={sending} block busyLabel="Signing in…">
          Sign in
        </SubmitButton>
      </form>
      <p className="dialog-footer">
        New here?{" "}
        <a
          href="/register"
          onClick={(e) => {
            e.preventDefault();
            onSwitchToRegister();
          }}
        >
          Create an account
        </a>
      </p>
    </>
  );
}
