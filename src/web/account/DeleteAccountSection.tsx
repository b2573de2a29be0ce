import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import { sessionStore, type SessionUser } from "../auth/session-store.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorMessage, StatusMessage, SubmitButton } from "../ui/bits.tsx";
import { CurrentPasswordField, TextField } from "../ui/fields.tsx";

export const ACCOUNT_DELETED_PATH = "/account-deleted";
const CONFIRM_WORD = "DELETE";

/**
 * Danger zone. With a password the account goes at once (POST /api/auth/delete-user {password});
 * without one (OAuth-only readers) a confirmation link is emailed and deletion happens there.
 */
export function DeleteAccountSection({ user, hasPassword }: { user: SessionUser; hasPassword: boolean | null }) {
  const [open, setOpen] = useState(false);
  return (
    <section className="card danger-zone" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete account</h2>
      <p>This deletes your account, your chats and your preferences for good. It can't be undone.</p>
      <button type="button" className="button button-danger" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Delete account…
      </button>
      {open && <DeleteAccountDialog user={user} hasPassword={hasPassword !== false} onClose={() => setOpen(false)} />}
    </section>
  );
}

function DeleteAccountDialog({ user, hasPassword, onClose }: { user: SessionUser; hasPassword: boolean; onClose(): void }) {
  const navigate = useNavigate();
  const [typed, setTyped] = useState("");
  const [password, setPassword] = useState("");
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [mailed, setMailed] = useState(false);
  const confirmed = typed.trim() === CONFIRM_WORD;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!confirmed) return;
    if (hasPassword && !password) return setPasswordError("Enter your password.");
    setSending(true);
    setError(null);
    setPasswordError(null);
    try {
      if (hasPassword) {
        await authCall((fetchOptions) => authClient.deleteUser({ password, callbackURL: ACCOUNT_DELETED_PATH, fetchOptions }), { reauth: true });
        await sessionStore.refresh();
        sessionStore.broadcast();
        navigate(ACCOUNT_DELETED_PATH, { replace: true });
      } else {
        await authCall((fetchOptions) => authClient.deleteUser({ callbackURL: ACCOUNT_DELETED_PATH, fetchOptions }), { reauth: true });
        setMailed(true);
        setSending(false);
      }
    } catch (err) {
      if (err instanceof ApiError && err.code === "INVALID_PASSWORD") setPasswordError("That password isn't right.");
      else setError(errorMessage(err));
      setSending(false);
    }
  }

  return (
    <Dialog labelledBy="delete-dialog-title" describedBy="delete-dialog-desc" onClose={onClose} className="danger-dialog" testId="delete-account-dialog">
      <h2 id="delete-dialog-title">Delete your account?</h2>
      {mailed ? (
        <>
          <StatusMessage>
            We've sent a confirmation link to {user.email}. Your account is deleted when you open it (within one hour).
          </StatusMessage>
          <button type="button" className="button button-secondary" onClick={onClose}>
            Close
          </button>
        </>
      ) : (
        <form noValidate onSubmit={(e) => void submit(e)}>
          <p id="delete-dialog-desc">
            Your account ({user.email}), your chats and your preferences will be deleted for good.
            {hasPassword ? "" : " We'll email you a link to confirm."}
          </p>
          <TextField
            label={`Type ${CONFIRM_WORD} to confirm`}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            data-autofocus
            required
          />
          {hasPassword && (
            <CurrentPasswordField value={password} onChange={(e) => setPassword(e.target.value)} error={passwordError} />
          )}
          <ErrorMessage>{error}</ErrorMessage>
          <div className="button-row">
            <SubmitButton busy={sending} variant="danger" disabled={!confirmed}>
              {hasPassword ? "Delete my account" : "Email me a confirmation link"}
            </SubmitButton>
            <button type="button" className="button button-secondary" onClick={onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
