import { useId, type Ref } from "react";
import type { PasswordUserContext } from "../../shared/password-policy.ts";
import { PasswordField } from "../ui/fields.tsx";
import { PasswordStrength } from "./PasswordStrength.tsx";

/**
 * A new password with its live strength meter (tied to the input by aria-describedby): the
 * field of sign-up, reset and change. `onValue` gets each edit (clear the field's error there).
 */
export function NewPasswordField({
  label,
  value,
  onValue,
  error,
  minLength,
  user,
  inputRef,
  name,
  toggleName,
  autoFocus,
}: {
  label: string;
  value: string;
  onValue(value: string): void;
  error: string | null | undefined;
  minLength: number;
  /** Name and email: a password made of them is refused. */
  user?: PasswordUserContext;
  inputRef?: Ref<HTMLInputElement>;
  name?: string;
  toggleName?: string;
  autoFocus?: boolean;
}) {
  const meterId = `${useId()}-strength`;
  return (
    <PasswordField
      label={label}
      name={name}
      toggleName={toggleName}
      autoComplete="new-password"
      value={value}
      onChange={(e) => onValue(e.target.value)}
      error={error}
      describedBy={meterId}
      inputRef={inputRef}
      autoFocus={autoFocus}
      required
    >
      <PasswordStrength id={meterId} password={value} user={user} minLength={minLength} suppressProblem={!!error} />
    </PasswordField>
  );
}
