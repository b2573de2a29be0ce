import { ApiError } from "../api/api-error.ts";

/**
 * What happens when an action needs a recent sign-in (403 SESSION_NOT_FRESH: changing the email
 * address, a role, removing an account): the reader confirms it is them in a dialog (password,
 * and the code with a second factor; POST /api/v1/me/reauthenticate), then the action runs once
 * more. The dialog (ConfirmIdentityDialog) registers itself here; concurrent asks share one.
 */
type Prompt = () => Promise<boolean>;

let prompt: Prompt | null = null;
let pending: Promise<boolean> | null = null;

export function setConfirmIdentityPrompt(p: Prompt | null): void {
  prompt = p;
}

/** Resolves true once the reader has signed in again in place; false if they cancelled. */
export function confirmIdentity(): Promise<boolean> {
  pending ??= (prompt ? prompt() : Promise.resolve(false)).finally(() => {
    pending = null;
  });
  return pending;
}

export const needsFreshSignIn = (e: unknown): e is ApiError => e instanceof ApiError && e.status === 403 && e.code === "SESSION_NOT_FRESH";
