import { useId, useState, type InputHTMLAttributes, type ReactNode, type Ref } from "react";

/**
 * Labelled inputs with their hint and error tied on (aria-describedby, aria-invalid), as
 * WCAG 1.3.1 / 3.3.1 ask. The error text replaces nothing: the hint stays readable.
 */
export interface FieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, "id"> {
  label: string;
  error?: string | null;
  hint?: ReactNode;
  /** Extra ids to describe the input with (e.g. a strength meter). */
  describedBy?: string;
  inputRef?: Ref<HTMLInputElement>;
  id?: string;
}

function describedBy(...ids: (string | false | null | undefined)[]): string | undefined {
  const s = ids.filter(Boolean).join(" ");
  return s || undefined;
}

export function TextField({ label, error, hint, describedBy: extra, inputRef, id: givenId, className, ...input }: FieldProps) {
  const autoId = useId();
  const id = givenId ?? `f${autoId}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={`field ${className ?? ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      )}
      <input
        {...input}
        id={id}
        ref={inputRef}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(errorId, hintId, extra)}
      />
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** An email input as every form wants it: the email keyboard, autofill, the right type. */
export function EmailField({ label = "Email", ...props }: Omit<FieldProps, "label" | "type" | "autoComplete" | "inputMode"> & { label?: string }) {
  return <TextField label={label} type="email" autoComplete="email" inputMode="email" {...props} />;
}

/**
 * The six digits of an authenticator app: the number keypad on phones, and the code the
 * browser or phone offers from a message (autocomplete "one-time-code").
 */
export function TotpCodeField({ label = "6-digit code", ...props }: Omit<FieldProps, "label" | "type" | "autoComplete" | "inputMode"> & { label?: string }) {
  return <TextField label={label} type="text" inputMode="numeric" autoComplete="one-time-code" spellCheck={false} {...props} />;
}

/** A password input with a Show/Hide toggle (a button with aria-pressed). */
export function PasswordField({
  label,
  error,
  hint,
  describedBy: extra,
  inputRef,
  id: givenId,
  children,
  toggleName = "password",
  ...input
}: FieldProps & { children?: ReactNode; /** The toggle is named "Show {toggleName}". */ toggleName?: string }) {
  const autoId = useId();
  const id = givenId ?? `f${autoId}`;
  const [visible, setVisible] = useState(false);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className="field field-password">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      )}
      <div className="password-row">
        <input
          {...input}
          id={id}
          ref={inputRef}
          type={visible ? "text" : "password"}
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy(errorId, hintId, extra)}
        />
        <button
          type="button"
          className="button button-ghost password-toggle"
          aria-pressed={visible}
          aria-controls={id}
          onClick={() => setVisible((v) => !v)}
        >
          {/* A toggle keeps one name; aria-pressed says whether the password is shown (APG). */}
          Show<span className="visually-hidden"> {toggleName}</span>
        </button>
      </div>
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      {children}
    </div>
  );
}

/** The password the reader has now (sign-in, confirming an action): the browser offers the saved one. */
export function CurrentPasswordField({ label = "Password", ...props }: Omit<Parameters<typeof PasswordField>[0], "label" | "autoComplete"> & { label?: string }) {
  return <PasswordField label={label} autoComplete="current-password" required {...props} />;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** RFC 5321: no deliverable address is longer (the server refuses longer ones too). */
export const MAX_EMAIL_LENGTH = 254;

/** null when fine, else the message to show under the email field. */
export function emailProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return "Enter your email address.";
  if (v.length > MAX_EMAIL_LENGTH || !EMAIL.test(v)) return "Enter a valid email address, like name@example.com.";
  return null;
}
