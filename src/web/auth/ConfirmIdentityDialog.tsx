import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client.ts";
import { errorMessage } from "../api/error-messages.ts";
import type { ReauthenticateBody } from "../../shared/api/reauthenticate.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorMessage, SubmitButton } from "../ui/bits.tsx";
import { AnyCodeField, CurrentPasswordField } from "../ui/fields.tsx";
import { setConfirmIdentityPrompt } from "./fresh-sign-in.ts";
import { normalizeAnyCode } from "./one-time-codes.ts";

/**
 * "Confirm it's you": an action needing a recent sign-in (SESSION_NOT_FRESH) opens this over the
 * page. The password, then (an account with two-step verification) the authenticator's code or
 * a recovery code; the server signs this browser in again in place and the action runs again.
 * Registers itself as the prompt of fresh-sign-in.ts while mounted.
 */
export function ConfirmIdentityPrompt() {
  const [resolver, setResolver] = useState<((ok: boolean) => void) | null>(null);
  useEffect(() => {
    setConfirmIdentityPrompt(() => new Promise<boolean>((resolve) => setResolver(() => resolve)));
    return () => setConfirmIdentityPrompt(null);
  }, []);
  if (!resolver) return null;
  const done = (ok: boolean) => {
    resolver(ok);
    setResolver(null);
  };
  return <ConfirmIdentityDialog onDone={done} />;
}

function ConfirmIdentityDialog({ onDone }: { onDone(ok: boolean): void }) {
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [askCode, setAskCode] = useState(false);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (askCode) codeRef.current?.focus();
  }, [askCode]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPasswordError(null);
    setCodeError(null);
    setError(null);
    if (!password) {
      setPasswordError("Enter your password.");
      return passwordRef.current?.focus();
    }
    const typed = code.trim();
    if (askCode && !typed) {
      setCodeError("Enter the 6-digit code from your authenticator app, or a recovery code.");
      return codeRef.current?.focus();
    }
    const body: ReauthenticateBody = { password };
    if (askCode) body.code = normalizeAnyCode(typed);
    setSending(true);
    try {
      await api("/me/reauthenticate", { method: "POST", body, reauth: false });
      onDone(true);
    } catch (err) {
      setSending(false);
      const code = err instanceof ApiError ? err.code : "";
      if (code === "INVALID_PASSWORD") {
        setPasswordError("That password isn't right.");
        passwordRef.current?.select();
      } else if (code === "CODE_REQUIRED") setAskCode(true);
      else if (code === "INVALID_CODE") {
        setCodeError("That code isn't right, or was already used.");
        codeRef.current?.select();
      } else if (code === "NO_PASSWORD") setError("Your account signs in with a provider: sign out, sign in again with it, then try once more.");
      else setError(errorMessage(err));
    }
  }

  return (
    <Dialog labelledBy="confirm-identity-title" describedBy="confirm-identity-desc" onClose={() => onDone(false)} testId="confirm-identity-dialog">
      <h2 id="confirm-identity-title">Confirm it's you</h2>
      <p id="confirm-identity-desc">
        {askCode
          ? "Now the 6-digit code your authenticator app shows, or one of your recovery codes."
          : "This change needs a recent sign-in. Enter your password to carry on; nothing you were doing is lost."}
      </p>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <CurrentPasswordField value={password} onChange={(e) => setPassword(e.target.value)} error={passwordError} inputRef={passwordRef} data-autofocus />
        {askCode && (
          <AnyCodeField
            value={code}
            onChange={(e) => setCode(e.target.value)}
            error={codeError}
            inputRef={codeRef}
            required
          />
        )}
        <ErrorMessage>{error}</ErrorMessage>
        <div className="button-row">
          <SubmitButton busy={sending} busyLabel="Checking…">
            Confirm
          </SubmitButton>
          <button type="button" className="button button-secondary" onClick={() => onDone(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
