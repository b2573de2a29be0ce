import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { fetchMe } from "../account/account-api.ts";
import { applyTheme } from "../theme/theme.ts";
import { authCall } from "./auth-call.ts";
import { authClient } from "./auth-client.ts";
import { onReauthChange } from "./reauth.ts";
import { sessionStore, startSessionSync, type Role, type SessionState, type SessionUser } from "./session-store.ts";

/** Where a password sign-in ended: signed in, or asked for a second factor first (no session yet). */
export type SignInOutcome = "signed-in" | "second-factor";

/** The second step of such a sign-in: an authenticator code or a recovery code. */
export interface SecondFactorInput {
  method: "totp" | "recovery";
  code: string;
  /** Skip the second step on this browser for 30 days (Better Auth's trusted device). */
  trustDevice: boolean;
}

/**
 * Who is signed in, for every component, and the actions that change it. The state lives in
 * session-store.ts, so a sign-in, a sign-out or a change in another tab shows everywhere at once.
 */
export interface AuthContextValue {
  state: SessionState;
  user: SessionUser | null;
  role: Role | null;
  loading: boolean;
  /** True while the reader is asked to sign in again after their session ended (see reauth.ts). */
  reauthenticating: boolean;
  signIn(email: string, password: string): Promise<SignInOutcome>;
  /** Finish a sign-in that answered "second-factor"; throws INVALID_CODE and the like. */
  verifySecondFactor(input: SecondFactorInput): Promise<void>;
  signUp(input: { name: string; email: string; password: string }): Promise<void>;
  signOut(): Promise<void>;
  refresh(): Promise<SessionState>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export const VERIFIED_CALLBACK = "/verified";

/** Bring the reader's saved preferences (theme) to this device once they are signed in. */
async function loadServerPreferences(): Promise<void> {
  try {
    const me = await fetchMe({ reauth: false });
    if (me.preferences?.theme) applyTheme(me.preferences.theme);
  } catch {
    /* preferences are a convenience: the local theme stays */
  }
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const [reauthenticating, setReauthenticating] = useState(false);

  useEffect(() => startSessionSync(), []);
  useEffect(() => onReauthChange(setReauthenticating), []);

  // Each time a (different) reader becomes signed in: their preferences follow them here.
  const userId = state.user?.id ?? null;
  const prefsFor = useRef<string | null>(null);
  useEffect(() => {
    if (userId && prefsFor.current !== userId) void loadServerPreferences();
    prefsFor.current = userId;
  }, [userId]);

  const refresh = useCallback(() => sessionStore.refresh(), []);

  const signedIn = useCallback(async () => {
    await sessionStore.refresh();
    sessionStore.broadcast();
  }, []);

  const signIn = useCallback(
    async (email: string, password: string): Promise<SignInOutcome> => {
      // callbackURL: where the fresh verification link goes if the address is not verified yet
      // (Better Auth mails one on such a sign-in). It never redirects here (auth-client.ts).
      const data = await authCall((fetchOptions) =>
        authClient.signIn.email({ email, password, rememberMe: true, callbackURL: VERIFIED_CALLBACK, fetchOptions }),
      );
      // Better Auth's two-factor plugin: the password was right, and no session exists until the code.
      if ((data as { twoFactorRedirect?: boolean } | null)?.twoFactorRedirect) return "second-factor";
      await signedIn();
      return "signed-in";
    },
    [signedIn],
  );

  const verifySecondFactor = useCallback(
    async ({ method, code, trustDevice }: SecondFactorInput) => {
      // No reauth: a 401 here is a wrong code or an expired challenge, never a session that ended.
      await authCall((fetchOptions) =>
        method === "totp"
          ? authClient.twoFactor.verifyTotp({ code, trustDevice, fetchOptions })
          : authClient.twoFactor.verifyBackupCode({ code, trustDevice, fetchOptions }),
      );
      await signedIn();
    },
    [signedIn],
  );

  const signUp = useCallback(async ({ name, email, password }: { name: string; email: string; password: string }) => {
    await authCall((fetchOptions) => authClient.signUp.email({ name, email, password, callbackURL: VERIFIED_CALLBACK, fetchOptions }));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await authCall((fetchOptions) => authClient.signOut({ fetchOptions }));
    } finally {
      await sessionStore.refresh();
      sessionStore.broadcast();
    }
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({
      state,
      user: state.user,
      role: state.user?.role ?? null,
      loading: state.status === "loading",
      reauthenticating,
      signIn,
      verifySecondFactor,
      signUp,
      signOut,
      refresh,
    }),
    [state, reauthenticating, signIn, verifySecondFactor, signUp, signOut, refresh],
  );
  return <AuthContext value={value}>{children}</AuthContext>;
}

export function useAuth(): AuthContextValue {
  const ctx = use(AuthContext);
  if (!ctx) throw new Error("useAuth must be used inside <AuthProvider>");
  return ctx;
}
