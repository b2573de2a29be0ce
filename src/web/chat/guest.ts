import { ApiError } from "../api/api-error.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import { sessionStore } from "../auth/session-store.ts";

/**
 * Chatting needs no account (docs/decisions/007-anonymous-readers.md): a reader's first question
 * quietly makes them a guest (Better Auth anonymous session). The header keeps offering Sign in
 * and Register; when they do, the server moves the guest's chats into the account.
 */
let starting: Promise<void> | null = null;

function startGuest(): Promise<void> {
  starting ??= (async () => {
    try {
      await authCall((fetchOptions) => authClient.signIn.anonymous({ fetchOptions }));
    } catch (e) {
      // Already a guest (another tab got there first): that is all we wanted.
      if (!(e instanceof ApiError && e.code === "ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY")) throw e;
    }
    await sessionStore.refresh();
    sessionStore.broadcast();
  })().finally(() => {
    starting = null;
  });
  return starting;
}

/** Make sure there is someone to chat as: the signed-in reader, the current guest, or a new guest. */
export async function ensureCaller(): Promise<void> {
  let state = sessionStore.get();
  if (state.status === "loading") state = await sessionStore.refresh();
  if (state.status === "signed-in" || (state.status === "signed-out" && state.guest)) return;
  await startGuest();
}

/** The guest's session is gone (expired, or purged after long inactivity): start a new one. */
export async function renewGuest(): Promise<void> {
  await sessionStore.refresh();
  const state = sessionStore.get();
  if (state.status === "signed-in" || (state.status === "signed-out" && state.guest)) return;
  await startGuest();
}
