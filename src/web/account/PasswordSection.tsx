import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage, PASSWORD_CODES } from "../api/error-messages.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import { useAuthConfig } from "../auth/auth-config.ts";
import { sessionStore, type SessionUser } from "../auth/session-store.ts";
import { NewPasswordField } from "../password/NewPasswordField.tsx";
import { newPasswordProblem } from "../password/policy.ts";
import { ErrorMessage, StatusMessage, SubmitButton } from "../ui/bits.tsx";
import { CurrentPasswordField } from "../ui/fields.tsx";

/** Change password (current one required); optionally signs out every other device. */
export function PasswordSection({ user, hasPassword, onChanged }: { user: SessionUser; hasPassword: boolean | null; onChanged(): void }) {
  const { passwordMinLength } = useAuthConfig();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [revokeOthers, setRevokeOthers] = useState(true);
  const [errors, setErrors] = useState<{ current?: string | null; next?: string | null }>({});
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (hasPassword === false) {
    return (
      <section className="card" aria-labelledby="password-title">
        <h2 id="password-title">Password</h2>
        <p>
          You sign in with another provider, so this account has no password. To add one, use{" "}
          <Link to="/forgot-password">Forgot password</Link> with {user.email}.
        </p>
      </section>
    );
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setStatus(null);
    setError(null);
    setSaving(true);
    const currentError = current ? null : "Enter your current password.";
    const nextError = next ? await newPasswordProblem(next, { name: user.name, email: user.email }, passwordMinLength) : "Choose a new password.";
    setErrors({ current: currentError, next: nextError });
    if (currentError || nextError) return setSaving(false);
    try {
      await authCall(
        (fetchOptions) => authClient.changePassword({ currentPassword: current, newPassword: next, revokeOtherSessions: revokeOthers, fetchOptions }),
        { reauth: true },
      );
      setCurrent("");
      setNext("");
      setStatus(revokeOthers ? "Password changed. Your other devices have been signed out." : "Password changed.");
      // Revoking others rotates this session's token too.
      await sessionStore.refresh();
      onChanged();
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : null;
      if (apiErr?.code === "INVALID_PASSWORD") setErrors({ current: "That isn't your current password." });
      else if (apiErr && PASSWORD_CODES.has(apiErr.code)) setErrors({ next: errorMessage(apiErr, { minPasswordLength: passwordMinLength }) });
      else setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <CurrentPasswordField
          label="Current password"
          toggleName="current password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.current}
        />
        <NewPasswordField
          label="New password"
          toggleName="new password"
          value={next}
          onValue={(value) => {
            setNext(value);
            setErrors((x) => ({ ...x, next: null }));
          }}
          error={errors.next}
          minLength={passwordMinLength}
          user={{ name: user.name, email: user.email }}
        />
        <div className="checkbox">
          <input id="revoke-others" type="checkbox" checked={revokeOthers} onChange={(e) => setRevokeOthers(e.target.checked)} />
          <label htmlFor="revoke-others">Sign out other devices</label>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <StatusMessage>{status}</StatusMessage>
        <SubmitButton busy={saving} busyLabel="Changing…">
          Change password
        </SubmitButton>
      </form>
    </section>
  );
}
