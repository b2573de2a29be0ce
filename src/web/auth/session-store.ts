import { authClient } from "./auth-client.ts";

/**
 * The reader's session, as one small external store shared by React (useSyncExternalStore) and
 * plain modules (the API client). It stays the same in every tab: a change is announced on
 * BroadcastChannel("aibook-auth") and tabs also re-check when they regain focus.
 */
export type Role = "user" | "moderator" | "admin";

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  image: string | null;
  role: Role;
  /** Two-step verification is on (Better Auth's two-factor plugin, `user.twoFactorEnabled`). */
  twoFactorEnabled: boolean;
}

export interface SessionInfo {
  id: string;
  token: string;
}

export type SessionState =
  | { status: "loading"; user: null; session: null }
  /** `guest`: an anonymous (Better Auth anonymous plugin) session exists: it can chat, and the UI still offers sign-in. */
  | { status: "signed-out"; user: null; session: null; guest?: boolean }
  | { status: "signed-in"; user: SessionUser; session: SessionInfo };

const LOADING: SessionState = { status: "loading", user: null, session: null };
const SIGNED_OUT: SessionState = { status: "signed-out", user: null, session: null };
const GUEST: SessionState = { status: "signed-out", user: null, session: null, guest: true };
const CHANNEL = "aibook-auth";
const FOCUS_MIN_INTERVAL_MS = 2000;

let state: SessionState = LOADING;
const listeners = new Set<() => void>();
let inflight: Promise<SessionState> | null = null;
let lastFetchAt = 0;

function set(next: SessionState) {
  if (JSON.stringify(next) === JSON.stringify(state)) return;
  state = next;
  for (const l of listeners) l();
}

function toRole(v: unknown): Role {
  return v === "admin" || v === "moderator" ? v : "user";
}

/** Ask the server who we are (never from a cache). Anonymous readers count as signed out (guests) here. */
export async function fetchSession(): Promise<SessionState> {
  const { data, error } = await authClient.getSession({ query: { disableCookieCache: true } });
  if (error) {
    if (error.status === 401) return SIGNED_OUT;
    throw new Error(`session check failed (${error.status})`);
  }
  if (!data?.user || !data.session) return SIGNED_OUT;
  const u = data.user as typeof data.user & { role?: string | null; isAnonymous?: boolean | null; twoFactorEnabled?: boolean | null };
  if (u.isAnonymous) return GUEST;
  return {
    status: "signed-in",
    user: {
      id: u.id,
      name: u.name,
      email: u.email,
      emailVerified: u.emailVerified,
      image: u.image ?? null,
      role: toRole(u.role),
      twoFactorEnabled: Boolean(u.twoFactorEnabled),
    },
    session: { id: data.session.id, token: data.session.token },
  };
}

export const sessionStore = {
  get: (): SessionState => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /**
   * Re-read the session from the server and publish it. Concurrent calls share one request.
   * A network failure keeps the last known state (or signed out, on first load).
   */
  refresh(): Promise<SessionState> {
    inflight ??= fetchSession()
      .then(
        (next) => {
          set(next);
          return next;
        },
        () => {
          if (state.status === "loading") set(SIGNED_OUT);
          return state;
        },
      )
      .finally(() => {
        inflight = null;
        lastFetchAt = Date.now();
      });
    return inflight;
  },
  /** Publish a known state (e.g. signed out) without asking the server. */
  set,
  /** Tell the other tabs that the session changed (sign-in, sign-out, revocation). */
  broadcast(): void {
    channel?.postMessage("changed");
  },
};

let channel: BroadcastChannel | null = null;

/** Start listening for other tabs and for focus; returns the cleanup. Call once at start. */
export function startSessionSync(): () => void {
  channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
  const onMessage = (e: MessageEvent) => {
    if (e.data === "changed") void sessionStore.refresh();
  };
  const onFocus = () => {
    if (document.visibilityState !== "visible") return;
    if (Date.now() - lastFetchAt < FOCUS_MIN_INTERVAL_MS) return;
    void sessionStore.refresh();
  };
  channel?.addEventListener("message", onMessage);
  window.addEventListener("focus", onFocus);
  document.addEventListener("visibilitychange", onFocus);
  void sessionStore.refresh();
  return () => {
    channel?.removeEventListener("message", onMessage);
    channel?.close();
    channel = null;
    window.removeEventListener("focus", onFocus);
    document.removeEventListener("visibilitychange", onFocus);
  };
}
