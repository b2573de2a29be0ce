import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, SubmitButton } from "../ui/bits.tsx";
import { TextField, TotpCodeField } from "../ui/fields.tsx";
import { useAuth } from "./AuthProvider.tsx";
import { normalizeRecoveryCode, normalizeTotpCode, recoveryCodeProblem, totpCodeProblem } from "./one-time-codes.ts";

/** Answers that end the challenge (its ten minutes are over, or too many wrong codes): the password is needed again. */
const RESTART_CODES = new Set(["INVALID_TWO_FACTOR_COOKIE", "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE"]);

export interface SecondFactorStepProps {
  titleId: string;
  onSignedIn(): void;
  /** Back to the password step; `error` says why when the challenge has ended. */
  onRestart(error: ApiError | null): void;
}

/**
 * The sign-in step after a right password when the account has two-step verification: a code
 * from the authenticator app, or one of the recovery codes, and "trust this device".
 */
export function SecondFactorStep({ titleId, onSignedIn, onRestart }: SecondFactorStepProps) {
  const { verifySecondFactor } = useAuth();
  const [method, setMethod] = useState<"totp" | "recovery">("totp");
  const [code, setCode] = useState("");
  const [trustDevice, setTrustDevice] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);
  // The code field first, and again when the reader switches between app and recovery code.
  useEffect(() => codeRef.current?.focus(), [method]);

  function switchMethod() {
    setMethod((m) => (m === "totp" ? "recovery" : "totp"));
    setCode("");
    setFieldError(null);
    setServerError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const problem = method === "totp" ? totpCodeProblem(code) : recoveryCodeProblem(code);
    setFieldError(problem);
    setServerError(null);
    if (problem) return codeRef.current?.focus();
    setSending(true);
    try {
      const sent = method === "totp" ? normalizeTotpCode(code) : normalizeRecoveryCode(code);
      await verifySecondFactor({ method, code: sent, trustDevice });
      onSignedIn();
    } catch (err) {
      setSending(false);
      if (err instanceof ApiError && RESTART_CODES.has(err.code)) return onRestart(err);
      setServerError(errorMessage(err));
      // Ready for the next try: the wrong code selected, so typing replaces it.
      codeRef.current?.select();
    }
  }

  const introId = `${titleId}-second-factor`;
  const errorId = `${titleId}-code-error`;
  // The same field either way: only its label and keyboard change.
  const field = {
    value: code,
    onChange: (e: ChangeEvent<HTMLInputElement>) => setCode(e.target.value),
    error: fieldError,
    describedBy: serverError ? errorId : undefined,
    inputRef: codeRef,
    required: true,
  };
  return (
    <>
      <h2 id={titleId}>Sign in</h2>
      <p id={introId}>
        {method === "totp"
          ? "Two-step verification is on for this account. Enter the 6-digit code your authenticator app shows now."
          : "Enter one of the recovery codes you saved when you set up two-step verification. Each code works once."}
      </p>
      <form noValidate aria-describedby={introId} onSubmit={(e) => void submit(e)}>
        {method === "totp" ? (
          <TotpCodeField key="totp" name="code" {...field} />
        ) : (
          <TextField
            key="recovery"
            label="Recovery code"
            hint="Letters and digits with a dash in the middle, like aBcdE-fgH1j. Capitals count."
            name="recovery-code"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            {...field}
          />
        )}
        <div className="checkbox">
          <input
            id={`${titleId}-trust`}
            type="checkbox"
            checked={trustDevice}
            onChange={(e) => setTrustDevice(e.target.checked)}
            aria-describedby={`${titleId}-trust-hint`}
          />
          <label htmlFor={`${titleId}-trust`}>Trust this device for 30 days</label>
          <p id={`${titleId}-trust-hint`} className="field-hint">
            We won't ask for a code on this browser for 30 days. Not on a shared computer.
          </p>
        </div>
        <ErrorMessage id={errorId}>{serverError}</ErrorMessage>
        <SubmitButton busy={sending} block busyLabel="Checking…">
          Verify
        </SubmitButton>
      </form>
      <p className="dialog-footer second-factor-links">
        <button type="button" className="link-button" onClick={switchMethod}>
          {method === "totp" ? "Use a recovery code instead" : "Use your authenticator app instead"}
        </button>
        <button type="button" className="link-button" onClick={() => onRestart(null)}>
          Back to email and password
        </button>
      </p>
    </>
  );
}
