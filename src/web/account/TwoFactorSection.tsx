import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { ApiError } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { sessionStore, type SessionUser } from "../auth/session-store.ts";
import { ErrorMessage, StatusMessage, SubmitOrCancel } from "../ui/bits.tsx";
import { AnyCodeField, CurrentPasswordField } from "../ui/fields.tsx";
import { normalizeAnyCode } from "../auth/one-time-codes.ts";
import { RecoveryCodes } from "./RecoveryCodes.tsx";
import { TotpSetup } from "./TotpSetup.tsx";
import { disableTwoFactor, enableTwoFactor, newRecoveryCodes } from "./two-factor-api.ts";

/** What the reader asked for; each starts with the password. */
type Action = "enable" | "disable" | "regenerate";

type View =
  | { step: "idle" }
  | { step: "password"; action: Action }
  | { step: "scan"; totpURI: string; backupCodes: string[] }
  | { step: "codes"; codes: string[]; intro: string };

const ACTIONS: Record<Action, { button: string; title: string; intro: string; submit: string; busy: string }> = {
  enable: {
    button: "Set up",
    title: "Set up two-step verification",
    intro: "Enter your password to start.",
    submit: "Continue",
    busy: "Checking…",
  },
  disable: {
    button: "Turn off",
    title: "Turn off two-step verification",
    intro: "Your password alone will sign you in again. Enter it and a code to turn two-step verification off.",
    submit: "Turn off",
    busy: "Turning off…",
  },
  regenerate: {
    button: "New recovery codes",
    title: "New recovery codes",
    intro: "New codes replace your recovery codes: the old ones stop working. Enter your password and a code to create them.",
    submit: "Create new codes",
    busy: "Creating…",
  },
};

const buttonId = (action: Action) => `two-factor-${action}`;

/**
 * Two-step verification (Better Auth's two-factor plugin): set it up with an authenticator app,
 * turn it off, or replace the recovery codes. Whether it is on is the session user's
 * `twoFactorEnabled`, read again after each change.
 */
export function TwoFactorSection({ user, hasPassword, onChanged }: { user: SessionUser; hasPassword: boolean | null; onChanged(): void }) {
  const [view, setView] = useState<View>({ step: "idle" });
  const [status, setStatus] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Where focus goes once back to the section's buttons: the one that was pressed (cancel), or the heading.
  const focusNext = useRef<Action | "heading" | null>(null);
  useEffect(() => {
    if (view.step !== "idle" || !focusNext.current) return;
    const target = focusNext.current === "heading" ? headingRef.current : document.getElementById(buttonId(focusNext.current));
    focusNext.current = null;
    target?.focus();
  }, [view.step]);

  const backToIdle = (focus: Action | "heading") => {
    focusNext.current = focus;
    setView({ step: "idle" });
  };

  /** The session was replaced (Better Auth does on enable and disable) and `twoFactorEnabled` changed. */
  async function sessionChanged() {
    await sessionStore.refresh();
    sessionStore.broadcast();
    onChanged();
  }

  async function confirmed(action: Action, password: string, code: string) {
    if (action === "enable") {
      const { totpURI, backupCodes } = await enableTwoFactor(password);
      setView({ step: "scan", totpURI, backupCodes });
    } else if (action === "disable") {
      await disableTwoFactor(password, code);
      await sessionChanged();
      setStatus("Two-step verification is off.");
      backToIdle("heading");
    } else {
      const { backupCodes } = await newRecoveryCodes(password, code);
      setStatus("New recovery codes created. The old ones no longer work.");
      setView({ step: "codes", codes: backupCodes, intro: "These replace your old recovery codes." });
    }
  }

  async function enrolled(backupCodes: string[]) {
    setStatus("Two-step verification is on.");
    setView({ step: "codes", codes: backupCodes, intro: "From now on, signing in asks for a code from your authenticator app." });
    await sessionChanged();
  }

  const on = user.twoFactorEnabled;
  return (
    <section className="card two-factor" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title" ref={headingRef} tabIndex={-1}>
        Two-step verification
      </h2>
      {on ? (
        <p>
          <strong>On.</strong> When you sign in with your password, we also ask for a code from your authenticator app, or one of
          your recovery codes.
        </p>
      ) : (
        <p>
          <strong>Off.</strong> Add a second step to signing in: after your password, a 6-digit code from an authenticator app on
          your phone. Someone who learns your password still can't get in.
        </p>
      )}
      <StatusMessage>{status}</StatusMessage>
      {hasPassword === false && !on ? (
        <p>
          Setting it up needs your password, and this account has none yet. To add one, use{" "}
          <Link to="/forgot-password">Forgot password</Link> with {user.email}.
        </p>
      ) : view.step === "idle" ? (
        <div className="button-row">
          {(on ? (["regenerate", "disable"] as const) : (["enable"] as const)).map((action) => (
            <button
              key={action}
              id={buttonId(action)}
              type="button"
              className={`button ${action === "disable" ? "button-danger-outline" : action === "enable" ? "button-primary" : "button-secondary"}`}
              onClick={() => {
                setStatus(null);
                setView({ step: "password", action });
              }}
            >
              {ACTIONS[action].button}
            </button>
          ))}
        </div>
      ) : view.step === "password" ? (
        <ConfirmWithPassword action={view.action} onConfirm={(password, code) => confirmed(view.action, password, code)} onCancel={() => backToIdle(view.action)} />
      ) : view.step === "scan" ? (
        <TotpSetup totpURI={view.totpURI} onConfirmed={() => void enrolled(view.backupCodes)} onCancel={() => backToIdle("enable")} />
      ) : (
        <RecoveryCodes codes={view.codes} account={user.email} intro={view.intro} onDone={() => backToIdle("heading")} />
      )}
    </section>
  );
}

/** Codes the server answers about the code field rather than the password. */
const CODE_ERRORS = new Set(["CODE_REQUIRED", "INVALID_CODE"]);

/**
 * The first step of every action here: the password; turning it off and new recovery codes also
 * ask for a code (the authenticator's, or a recovery code). Wrong entries are said at their field.
 */
function ConfirmWithPassword({ action, onConfirm, onCancel }: { action: Action; onConfirm(password: string, code: string): Promise<void>; onCancel(): void }) {
  const text = ACTIONS[action];
  const needsCode = action !== "enable";
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [codeError, setCodeError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  useEffect(() => passwordRef.current?.focus(), []);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    const sent = normalizeAnyCode(code);
    const passwordProblem = password ? null : "Enter your password.";
    const codeProblem = needsCode && !sent ? "Enter a code from your authenticator app, or a recovery code." : null;
    setFieldError(passwordProblem);
    setCodeError(codeProblem);
    if (passwordProblem) return passwordRef.current?.focus();
    if (codeProblem) return codeRef.current?.focus();
    setSending(true);
    try {
      await onConfirm(password, sent);
    } catch (err) {
      setSending(false);
      if (err instanceof ApiError && err.code === "INVALID_PASSWORD") {
        setFieldError("That password isn't right.");
        passwordRef.current?.select();
      } else if (err instanceof ApiError && CODE_ERRORS.has(err.code)) {
        setCodeError(err.code === "INVALID_CODE" ? "That code isn't right, or it was used already." : errorMessage(err));
        codeRef.current?.select();
      } else setError(errorMessage(err));
    }
  }

  const titleId = `two-factor-${action}-title`;
  return (
    <form className="two-factor-step" noValidate aria-labelledby={titleId} onSubmit={(e) => void submit(e)}>
      <h3 id={titleId}>{text.title}</h3>
      <p>{text.intro}</p>
      <CurrentPasswordField value={password} onChange={(e) => setPassword(e.target.value)} error={fieldError} inputRef={passwordRef} />
      {needsCode && (
        <AnyCodeField
          label="Authenticator or recovery code"
          hint="The 6-digit code your app shows now, or one of your recovery codes."
          name="code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          error={codeError}
          inputRef={codeRef}
          required
        />
      )}
      <ErrorMessage>{error}</ErrorMessage>
      <SubmitOrCancel busy={sending} busyLabel={text.busy} variant={action === "disable" ? "danger" : "primary"} onCancel={onCancel}>
        {text.submit}
      </SubmitOrCancel>
    </form>
  );
}
