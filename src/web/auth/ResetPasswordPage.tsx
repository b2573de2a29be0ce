import { useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage, PASSWORD_CODES } from "../api/error-messages.ts";
import { NewPasswordField } from "../password/NewPasswordField.tsx";
import { newPasswordProblem } from "../password/policy.ts";
import { ErrorMessage, SubmitButton, useDocumentTitle } from "../ui/bits.tsx";
import { PasswordField } from "../ui/fields.tsx";
import { authCall } from "./auth-call.ts";
import { authClient } from "./auth-client.ts";
import { useAuthConfig } from "./auth-config.ts";
import { SignInButton } from "./AuthDialogs.tsx";
import { sessionStore } from "./session-store.ts";

/** `/reset-password?token=…` (or `?error=INVALID_TOKEN` when the emailed link was bad or expired). */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token");
  const linkError = params.get("error");
  const { passwordMinLength } = useAuthConfig();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tokenBad, setTokenBad] = useState(false);
  const [sending, setSending] = useState(false);
  const [done, setDone] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  const invalid = !token || !!linkError || tokenBad;
  useDocumentTitle(done ? "Password changed" : invalid ? "Reset link not valid" : "Choose a new password");

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setSending(true);
    const problem = password ? await newPasswordProblem(password, {}, passwordMinLength) : "Choose a new password.";
    setPasswordError(problem);
    const mismatch = !problem && confirm !== password ? "The two passwords don't match." : null;
    setConfirmError(mismatch);
    if (problem || mismatch) {
      setSending(false);
      return (problem ? passwordRef : confirmRef).current?.focus();
    }
    try {
      await authCall((fetchOptions) => authClient.resetPassword({ newPassword: password, token: token!, fetchOptions }));
      setDone(true);
      // Every session was revoked by the reset: other tabs should know.
      void sessionStore.refresh().then(() => sessionStore.broadcast());
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : null;
      if (apiErr && (apiErr.code === "INVALID_TOKEN" || apiErr.code === "TOKEN_EXPIRED")) setTokenBad(true);
      else if (apiErr && PASSWORD_CODES.has(apiErr.code)) {
        setPasswordError(errorMessage(apiErr, { minPasswordLength: passwordMinLength }));
        passwordRef.current?.focus();
      } else setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  if (done) {
    return (
      <div className="page-content narrow">
        <h1>Password changed</h1>
        <p className="lead" role="status">
          Your new password is set. For your safety we signed you out on every device.
        </p>
        <p>
          <SignInButton />
        </p>
      </div>
    );
  }

  if (invalid) {
    return (
      <div className="page-content narrow">
        <h1>This reset link isn't valid</h1>
        <p className="lead">
          Reset links work once and expire after an hour. This one has expired, was already used, or is incomplete.
        </p>
        <p>
          <Link to="/forgot-password" className="button button-primary">
            Request a new link
          </Link>
        </p>
      </div>
    );
  }

  return (
    <div className="page-content narrow">
      <h1>Choose a new password</h1>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <NewPasswordField
          label="New password"
          value={password}
          onValue={(value) => {
            setPassword(value);
            setPasswordError(null);
          }}
          error={passwordError}
          minLength={passwordMinLength}
          inputRef={passwordRef}
          autoFocus
        />
        <PasswordField
          label="Confirm new password"
          toggleName="password confirmation"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => {
            setConfirm(e.target.value);
            setConfirmError(null);
          }}
          error={confirmError}
          inputRef={confirmRef}
          required
        />
        <ErrorMessage>{error}</ErrorMessage>
        <SubmitButton busy={sending} busyLabel="Saving…">
          Set new password
        </SubmitButton>
      </form>
    </div>
  );
}
