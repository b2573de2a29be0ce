import { useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../api/api-error.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { ErrorMessage, SubmitOrCancel } from "../ui/bits.tsx";
import { TextField } from "../ui/fields.tsx";
import { staffErrorMessage } from "./staff-errors.ts";

const REASON_MAX = 500;
const REASON_NEEDED = "Say why: the reader sees the reason in their account's activity.";

export interface ActionDialogProps {
  /** The question the dialog asks ("Ban Ada Lovelace?"); it names the dialog. */
  title: string;
  intro: ReactNode;
  confirm: string;
  busyLabel: string;
  danger?: boolean;
  /** Whether the server requires a reason for this action (plugins/staff.ts, staff-routes.ts). */
  reason: "required" | "optional";
  /** False while the action's own fields are incomplete (the typed email of a removal). */
  ready?: boolean;
  /** The action's own fields, above the reason. */
  children?: ReactNode;
  /** Do it; a rejection is said in the dialog, which stays open. */
  run(reason: string | undefined): Promise<void>;
  onClose(): void;
}

/**
 * A staff action's confirmation: what it does, why (the reason goes to the reader's activity and
 * the audit log), and the button that does it. A modal dialog (ui/Dialog.tsx): focus trapped,
 * Escape cancels.
 */
export function ActionDialog({ title, intro, confirm, busyLabel, danger = false, reason: need, ready = true, children, run, onClose }: ActionDialogProps) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLInputElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!ready || busy) return;
    const why = reason.trim();
    if (need === "required" && !why) {
      setReasonError(REASON_NEEDED);
      reasonRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    setReasonError(null);
    try {
      await run(why || undefined);
    } catch (err) {
      if (err instanceof ApiError && (err.code === "REASON_REQUIRED" || err.code === "REASON_TOO_LONG")) {
        setReasonError(staffErrorMessage(err));
        reasonRef.current?.focus();
      } else setError(staffErrorMessage(err));
      setBusy(false);
    }
  }

  return (
    <Dialog labelledBy={`${id}-title`} describedBy={`${id}-intro`} onClose={onClose} className={danger ? "danger-dialog" : undefined} testId="staff-action-dialog">
      <h2 id={`${id}-title`}>{title}</h2>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <div id={`${id}-intro`} className="dialog-intro">
          {intro}
        </div>
        {children}
        <TextField
          label={need === "required" ? "Reason" : "Reason (optional)"}
          hint="The reader sees it in their account's activity; staff see it in the audit log."
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={REASON_MAX}
          autoComplete="off"
          required={need === "required"}
          error={reasonError}
          inputRef={reasonRef}
        />
        <ErrorMessage>{error}</ErrorMessage>
        <SubmitOrCancel busy={busy} busyLabel={busyLabel} variant={danger ? "danger" : "primary"} disabled={!ready} onCancel={onClose}>
          {confirm}
        </SubmitOrCancel>
      </form>
    </Dialog>
  );
}
