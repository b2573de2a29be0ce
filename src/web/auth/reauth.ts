import { fetchSession, sessionStore } from "./session-store.ts";

/**
 * What happens when a call finds the session gone (401): check the session once more (it may
 * have been renewed meanwhile), else ask the reader to sign in again with the sign-in dialog,
 * which the AuthDialogs provider registers here. Concurrent 401s share one prompt.
 */
type Prompt = () => Promise<boolean>;

let prompt: Prompt | null = null;
let pending: Promise<boolean> | null = null;
const listeners = new Set<(active: boolean) => void>();

export function setSignInPrompt(p: Prompt | null): void {
  prompt = p;
}

/** True while a "sign in again" prompt is open: pages keep their state instead of switching away. */
export function onReauthChange(listener: (active: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Resolves true once there is a valid session again (possibly after the reader signs in). */
export function reauthenticate(): Promise<boolean> {
  pending ??= (async () => {
    try {
      // A fresh look without publishing "signed out": the page must not switch away under the reader.
      const fresh = await fetchSession().catch(() => null);
      if (fresh?.status === "signed-in") {
        sessionStore.set(fresh);
        return true;
      }
      if (!prompt) {
        await sessionStore.refresh();
        return false;
      }
      for (const l of listeners) l(true);
      const ok = await prompt();
      if (!ok) await sessionStore.refresh();
      return ok;
    } finally {
      for (const l of listeners) l(false);
    }
  })().finally(() => {
    pending = null;
  });
  return pending;
}
