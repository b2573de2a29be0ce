import { useEffect, useState } from "react";
import type { PasswordAssessment, PasswordUserContext } from "../../shared/password-policy.ts";
import { loadPolicy, policyIfLoaded, quickRuleProblem } from "./policy.ts";

/**
 * Live strength meter under a new-password field. The rules come first: a password the policy
 * refuses shows why, never a score. The zxcvbn score is shown only once the full rules passed.
 */
export interface PasswordStrengthProps {
  /** Give the password input aria-describedby={id}. */
  id: string;
  password: string;
  user?: PasswordUserContext;
  minLength: number;
  /** The field already shows the rule failure as its error: keep only the bar here. */
  suppressProblem?: boolean;
}

const LABELS = ["Very weak", "Weak", "Fair", "Good", "Strong"] as const;

type View =
  | { kind: "empty" }
  | { kind: "problem"; message: string }
  | { kind: "checking" }
  | { kind: "unavailable" }
  | { kind: "score"; score: number; tip: string | null };

function viewOf(password: string, minLength: number, assessment: PasswordAssessment | null, failed: boolean): View {
  if (!password) return { kind: "empty" };
  const quick = quickRuleProblem(password, minLength);
  if (quick) return { kind: "problem", message: quick };
  if (!assessment) return failed ? { kind: "unavailable" } : { kind: "checking" };
  if (!assessment.ok) return { kind: "problem", message: assessment.message ?? "This password is not allowed." };
  return { kind: "score", score: assessment.score, tip: assessment.feedback[0] ?? null };
}

export function PasswordStrength({ id, password, user, minLength, suppressProblem = false }: PasswordStrengthProps) {
  const [assessment, setAssessment] = useState<{ for: string; result: PasswordAssessment } | null>(null);
  const [announce, setAnnounce] = useState("");
  const [failed, setFailed] = useState(false);
  const name = user?.name ?? "";
  const email = user?.email ?? "";

  useEffect(() => {
    void loadPolicy().then(
      () => setFailed(false),
      () => setFailed(true),
    );
  }, []);

  useEffect(() => {
    if (!password || quickRuleProblem(password, minLength)) return;
    let cancelled = false;
    // Debounced: zxcvbn can take tens of milliseconds on long input.
    const t = setTimeout(
      () => {
        void loadPolicy()
          .then((policy) => {
            if (cancelled) return;
            setFailed(false);
            setAssessment({ for: `${password}\u0000${name}\u0000${email}`, result: policy.assessPassword(password, { name, email }, { minLength }) });
          })
          .catch(() => !cancelled && setFailed(true));
      },
      policyIfLoaded() ? 120 : 0,
    );
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [password, name, email, minLength]);

  const current = assessment?.for === `${password}\u0000${name}\u0000${email}` ? assessment.result : null;
  const view = viewOf(password, minLength, current, failed);
  const text =
    view.kind === "empty"
      ? `Use at least ${minLength} characters. A few unrelated words make a strong, memorable password; any characters are allowed.`
      : view.kind === "problem"
        ? view.message
        : view.kind === "checking"
          ? "Checking the password…"
          : view.kind === "unavailable"
            ? "The strength check didn't load. Your password will be checked when you submit."
          : `Password strength: ${LABELS[view.score]}.${view.tip ? ` ${view.tip}` : ""}`;

  // Screen readers hear the verdict once typing pauses, not on every key.
  useEffect(() => {
    if (view.kind === "empty" || view.kind === "checking") return;
    const t = setTimeout(() => setAnnounce(text), 900);
    return () => clearTimeout(t);
  }, [text, view.kind]);

  // A refused password lights one red segment; an allowed one lights 1..4 by its score.
  const level = view.kind === "score" ? Math.max(1, view.score) : view.kind === "problem" ? 1 : 0;
  const tone = view.kind === "problem" ? "bad" : view.kind === "score" ? (["bad", "bad", "fair", "good", "strong"] as const)[view.score]! : "none";
  return (
    <div className="strength" data-testid="password-strength" data-tone={tone} data-score={view.kind === "score" ? view.score : undefined}>
      <div className="strength-bar" aria-hidden="true">
        {[0, 1, 2, 3].map((i) => (
          <span key={i} className={level > i ? "on" : ""} />
        ))}
      </div>
      <p id={id} className="strength-text">
        {suppressProblem && view.kind === "problem" ? "" : text}
      </p>
      <span className="visually-hidden" aria-live="polite">
        {announce}
      </span>
    </div>
  );
}
