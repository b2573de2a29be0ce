import { useState, type FormEvent } from "react";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, Spinner, StatusMessage, useCountdown } from "../ui/bits.tsx";
import { emailProblem, TextField } from "../ui/fields.tsx";
import { authCall } from "./auth-call.ts";
import { authClient } from "./auth-client.ts";
import { VERIFIED_CALLBACK } from "./AuthProvider.tsx";
import { mailCooldownUntil, startMailCooldown } from "./mail-cooldown.ts";

/**
 * "Resend the email" with the server's one-a-minute pace shown as a countdown. With no known
 * address, it asks for one first.
 */
export function ResendVerification({ email: knownEmail, buttonLabel = "Resend email" }: { email?: string; buttonLabel?: string }) {
  const [email, setEmail] = useState(knownEmail ?? "");
  const [until, setUntil] = useState(() => (knownEmail ? mailCooldownUntil(knownEmail) : 0));
  const [sending, setSending] = useState(false);
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const seconds = useCountdown(until);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const address = email.trim();
    const problem = emailProblem(address);
    setFieldError(problem);
    if (problem) return;
    setSending(true);
    setError(null);
    setSent(null);
    try {
      await authCall((fetchOptions) => authClient.sendVerificationEmail({ email: address, callbackURL: VERIFIED_CALLBACK, fetchOptions }));
      setUntil(startMailCooldown(address));
      setSent(`We've sent a new link to ${address}. It can take a minute to arrive; check your spam folder too.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setUntil(startMailCooldown(address, err.retryAfter ?? 60));
      if (err instanceof ApiError && err.code === "EMAIL_ALREADY_VERIFIED") setSent(errorMessage(err));
      else setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  const waiting = seconds > 0;
  return (
    <form className="resend" noValidate onSubmit={(e) => void submit(e)}>
      {!knownEmail && (
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            setUntil(mailCooldownUntil(e.target.value));
          }}
          error={fieldError}
          required
        />
      )}
      <div className="resend-row">
        <button type="submit" className="button button-secondary" disabled={sending || waiting} aria-describedby={waiting ? "resend-wait" : undefined}>
          {sending && <Spinner />}
          {buttonLabel}
        </button>
        {waiting && (
          <span id="resend-wait" className="countdown" data-testid="resend-countdown">
            You can ask for another email in {seconds} s
          </span>
        )}
      </div>
      <StatusMessage>{sent}</StatusMessage>
      <ErrorMessage>{error}</ErrorMessage>
    </form>
  );
}
