import { useState, type FormEvent } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import type { SessionUser } from "../auth/session-store.ts";
import { ErrorMessage, StatusMessage, SubmitButton } from "../ui/bits.tsx";
import { EmailField, emailProblem } from "../ui/fields.tsx";

/** Change email: confirmed from the CURRENT address first (Better Auth change-email). */
export function EmailSection({ user }: { user: SessionUser }) {
  const [newEmail, setNewEmail] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const address = newEmail.trim();
    const problem = emailProblem(address) ?? (address.toLowerCase() === user.email.toLowerCase() ? "This is already your email address." : null);
    setFieldError(problem);
    if (problem) return;
    setSending(true);
    setStatus(null);
    setError(null);
    try {
      await authCall((fetchOptions) => authClient.changeEmail({ newEmail: address, callbackURL: "/account", fetchOptions }), { reauth: true });
      setStatus(
        `We've sent a confirmation link to your current address, ${user.email}. Your email changes to ${address} once you open it (then we'll ask you to verify the new address).`,
      );
      setNewEmail("");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="email-title">
      <h2 id="email-title">Email</h2>
      <p>
        Your email address is <strong>{user.email}</strong>
        {user.emailVerified ? " (verified)." : " (not verified yet)."}
      </p>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <EmailField
          label="New email"
          value={newEmail}
          onChange={(e) => setNewEmail(e.target.value)}
          error={fieldError}
          required
        />
        <ErrorMessage>{error}</ErrorMessage>
        <StatusMessage>{status}</StatusMessage>
        <SubmitButton busy={sending} busyLabel="Sending…">
          Change email
        </SubmitButton>
      </form>
    </section>
  );
}
