import { useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, SubmitButton, useDocumentTitle } from "../ui/bits.tsx";
import { EmailField, emailProblem } from "../ui/fields.tsx";
import { authCall } from "./auth-call.ts";
import { authClient } from "./auth-client.ts";
import { useAuthDialogs } from "./AuthDialogs.tsx";

export const RESET_REDIRECT = "/reset-password";

/**
 * `/forgot-password`: always the same confirmation, whether or not the address has an account
 * (the server answers the same too; ASVS 6.3.8).
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const { openSignIn } = useAuthDialogs();
  useDocumentTitle("Reset your password");

  async function submit(e: FormEvent) {
    e.preventDefault();
    const address = email.trim();
    const problem = emailProblem(address);
    setFieldError(problem);
    if (problem) return emailRef.current?.focus();
    setSending(true);
    setError(null);
    try {
      await authCall((fetchOptions) => authClient.requestPasswordReset({ email: address, redirectTo: RESET_REDIRECT, fetchOptions }));
      setSentTo(address);
    } catch (err) {
      if (err instanceof ApiError && err.code === "INVALID_EMAIL") {
        setFieldError(errorMessage(err));
        emailRef.current?.focus();
      } else setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  if (sentTo) {
    return (
      <div className="page-content narrow">
        <h1>Check your email</h1>
        <p className="lead" role="status">
          If an account exists for <strong>{sentTo}</strong>, we've sent it a link to choose a new password. The link works once and
          expires in one hour.
        </p>
        <p>Can't find it? Check your spam folder, or wait a minute and ask again.</p>
        <p>
          <button type="button" className="link-button" onClick={() => setSentTo(null)}>
            Use a different email
          </button>
        </p>
      </div>
    );
  }

  return (
    <div className="page-content narrow">
      <h1>Reset your password</h1>
      <p className="lead">Enter the email address of your account and we'll send you a link to choose a new password.</p>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <EmailField
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldError}
          inputRef={emailRef}
          required
        />
        <ErrorMessage>{error}</ErrorMessage>
        <SubmitButton busy={sending} busyLabel="Sending…">
          Send reset link
        </SubmitButton>
      </form>
      <p>
        Remembered it?{" "}
        <button type="button" className="link-button" onClick={() => openSignIn()}>
          Sign in
        </button>
      </p>
    </div>
  );
}
