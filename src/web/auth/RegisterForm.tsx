import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError } from "../api/api-error.ts";
import { errorMessage, PASSWORD_CODES } from "../api/error-messages.ts";
import { NewPasswordField } from "../password/NewPasswordField.tsx";
import { newPasswordProblem } from "../password/policy.ts";
import { ErrorMessage, SubmitButton } from "../ui/bits.tsx";
import { EmailField, emailProblem, TextField } from "../ui/fields.tsx";
import { useAuthConfig } from "./auth-config.ts";
import { useAuth } from "./AuthProvider.tsx";
import { OAuthButtons } from "./OAuthButtons.tsx";

export interface RegisterFormProps {
  titleId: string;
  oauthCallbackURL: string;
  onRegistered(email: string): void;
  onSwitchToSignIn(): void;
}

const MAX_NAME = 100;

function nameProblem(name: string): string | null {
  const v = name.trim();
  if (!v) return "Enter your name.";
  if ([...v].length > MAX_NAME) return `Use at most ${MAX_NAME} characters.`;
  return null;
}

/** Name, email, password (with the live strength meter), inside the register dialog. */
export function RegisterForm({ titleId, oauthCallbackURL, onRegistered, onSwitchToSignIn }: RegisterFormProps) {
  const { signUp } = useAuth();
  const { passwordMinLength } = useAuthConfig();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [serverError, setServerError] = useState<ApiError | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  useEffect(() => nameRef.current?.focus(), []);

  const show = (field: string) => submitted || touched[field];
  const nameError = show("name") ? nameProblem(name) : null;
  const emailError = show("email") ? emailProblem(email) : null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setSubmitted(true);
    setServerError(null);
    if (nameProblem(name)) return nameRef.current?.focus();
    if (emailProblem(email)) return emailRef.current?.focus();
    setSending(true);
    const problem = password ? await newPasswordProblem(password, { name, email }, passwordMinLength) : "Choose a password.";
    setPasswordError(problem);
    if (problem) {
      setSending(false);
      return passwordRef.current?.focus();
    }
    try {
      await signUp({ name: name.trim(), email: email.trim(), password });
      onRegistered(email.trim());
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : new ApiError(500, "INTERNAL_ERROR", "");
      if (PASSWORD_CODES.has(apiErr.code)) {
        setPasswordError(errorMessage(apiErr, { minPasswordLength: passwordMinLength }));
        passwordRef.current?.focus();
      } else if (apiErr.code === "INVALID_EMAIL") {
        setServerError(apiErr);
        emailRef.current?.focus();
      } else {
        setServerError(apiErr);
      }
      setSending(false);
    }
  }

  const formErrorId = `${titleId}-error`;
  return (
    <>
      <h2 id={titleId}>Create your account</h2>
      <OAuthButtons callbackURL={oauthCallbackURL} />
      <form noValidate onSubmit={(e) => void submit(e)}>
        <TextField
          label="Name"
          name="name"
          autoComplete="name"
          value={name}
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          onBlur={(e) => e.relatedTarget && name && setTouched((t) => ({ ...t, name: true }))}
          error={nameError}
          inputRef={nameRef}
          data-autofocus
          required
        />
        <EmailField
          name="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          onBlur={(e) => e.relatedTarget && email && setTouched((t) => ({ ...t, email: true }))}
          error={emailError ?? (serverError?.code === "INVALID_EMAIL" ? errorMessage(serverError) : null)}
          hint="We'll send a link to confirm it."
          inputRef={emailRef}
          required
        />
        <NewPasswordField
          label="Password"
          name="new-password"
          value={password}
          onValue={(value) => {
            setPassword(value);
            setPasswordError(null);
          }}
          error={passwordError}
          minLength={passwordMinLength}
          user={{ name, email }}
          inputRef={passwordRef}
        />
        {serverError && serverError.code !== "INVALID_EMAIL" && <ErrorMessage id={formErrorId}>{errorMessage(serverError)}</ErrorMessage>}
        <SubmitButton busy={sending} block busyLabel="Creating account…">
          Create account
        </SubmitButton>
      </form>
      <p className="dialog-footer">
        Already have an account?{" "}
        <a
          href="/sign-in"
          onClick={(e) => {
            e.preventDefault();
            onSwitchToSignIn();
          }}
        >
          Sign in
        </a>
      </p>
    </>
  );
}
