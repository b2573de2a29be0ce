import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { normalizeTotpCode, totpCodeProblem } from "../auth/one-time-codes.ts";
import { ErrorMessage, StatusMessage, SubmitOrCancel } from "../ui/bits.tsx";
import { TotpCodeField } from "../ui/fields.tsx";
import { QrCode } from "../ui/QrCode.tsx";
import { confirmTwoFactor } from "./two-factor-api.ts";
import { groupKey, keyFromTotpUri } from "./two-factor-setup.ts";

/**
 * The authenticator app's part of the setup: its QR code (drawn here) and the same key in text,
 * then a first code from the app, which turns two-step verification on.
 */
export function TotpSetup({ totpURI, onConfirmed, onCancel }: { totpURI: string; onConfirmed(): void; onCancel(): void }) {
  const key = keyFromTotpUri(totpURI) ?? "";
  const headingRef = useRef<HTMLHeadingElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const [code, setCode] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copyStatus, setCopyStatus] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  useEffect(() => headingRef.current?.focus(), []);

  async function copyKey() {
    try {
      await navigator.clipboard.writeText(key);
      setCopyStatus("Key copied.");
    } catch {
      setCopyStatus("Couldn't copy the key. Select it and copy it yourself.");
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = totpCodeProblem(code);
    setFieldError(problem);
    setError(null);
    if (problem) return codeRef.current?.focus();
    setSending(true);
    try {
      await confirmTwoFactor(normalizeTotpCode(code));
      onConfirmed();
    } catch (err) {
      setSending(false);
      if (err instanceof ApiError && err.code === "INVALID_CODE") setFieldError(errorMessage(err));
      else setError(errorMessage(err));
      codeRef.current?.select();
    }
  }

  return (
    <div className="two-factor-step">
      <h3 ref={headingRef} tabIndex={-1}>
        Set up your authenticator app
      </h3>
      <div className="totp-setup">
        <QrCode text={totpURI} label="QR code for your authenticator app" />
        <div>
          <p>Open an authenticator app on your phone, add an account and scan this QR code.</p>
          <p>Can't scan it? Enter this key in the app instead:</p>
          <p className="totp-key">
            <code>{groupKey(key)}</code>
            <button type="button" className="button button-secondary button-small" onClick={() => void copyKey()}>
              Copy key
            </button>
          </p>
          <StatusMessage tone="info">{copyStatus}</StatusMessage>
        </div>
      </div>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <TotpCodeField
          hint="The code the app shows now for AI Book. It changes every 30 seconds."
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={fieldError}
          inputRef={codeRef}
          required
        />
        <ErrorMessage>{error}</ErrorMessage>
        <SubmitOrCancel busy={sending} busyLabel="Checking…" onCancel={onCancel}>
          Turn on
        </SubmitOrCancel>
      </form>
    </div>
  );
}
