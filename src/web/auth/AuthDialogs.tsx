import { createContext, use, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { apiErrorFrom } from "../api/api-error.ts";
import { errorMessage } from "../api/error-messages.ts";
import { Dialog } from "../ui/Dialog.tsx";
import { useAnnounce } from "../ui/Announcer.tsx";
import { safeLocalPath } from "../ui/paths.ts";
import { useAuth } from "./AuthProvider.tsx";
import { startMailCooldown } from "./mail-cooldown.ts";
import { setSignInPrompt } from "./reauth.ts";
import { RegisterForm } from "./RegisterForm.tsx";
import { SignInForm } from "./SignInForm.tsx";

/**
 * The sign-in and register dialogs, reachable from every page (header buttons, `openSignIn()`),
 * by URL (`/sign-in`, `/register` show them over the home page), and from the API client when a
 * session ends mid-task (the pending request resumes once the reader has signed in again).
 */
type Mode = "sign-in" | "register";

interface OpenOptions {
  email?: string;
  notice?: string;
}

interface AuthDialogsValue {
  openSignIn(options?: OpenOptions): void;
  openRegister(): void;
}

const AuthDialogsContext = createContext<AuthDialogsValue | null>(null);

const OAUTH_ERRORS: Record<string, string> = {
  access_denied: "You cancelled signing in with the provider.",
  account_not_linked: "An account with this email already exists. Sign in with your password, then link the provider from your account.",
  email_not_found: "The provider didn't share an email address with us, so we can't sign you in with it.",
  BANNED_USER: errorMessage(apiErrorFrom(403, { code: "BANNED_USER" })),
};

export function AuthDialogsProvider({ children }: { children: ReactNode }) {
  const { user, state } = useAuth();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [local, setLocal] = useState<{ mode: Mode; options: OpenOptions } | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);

  const routeMode: Mode | null = location.pathname === "/sign-in" ? "sign-in" : location.pathname === "/register" ? "register" : null;
  const next = safeLocalPath(params.get("next"));
  const mode = routeMode ?? local?.mode ?? null;

  const settle = useCallback((ok: boolean) => {
    resolver.current?.(ok);
    resolver.current = null;
  }, []);

  // A signed-in reader has nothing to do on /sign-in or /register.
  useEffect(() => {
    if (routeMode && state.status === "signed-in" && !resolver.current) navigate(next, { replace: true });
  }, [routeMode, state.status, navigate, next]);

  // Any navigation closes a dialog that was opened over the page.
  const path = location.pathname;
  useEffect(() => {
    setLocal(null);
    settle(false);
  }, [path, settle]);

  const openSignIn = useCallback((options: OpenOptions = {}) => setLocal({ mode: "sign-in", options }), []);
  const openRegister = useCallback(() => setLocal({ mode: "register", options: {} }), []);

  const close = useCallback(() => {
    settle(false);
    if (routeMode) navigate("/", { replace: true });
    else setLocal(null);
  }, [routeMode, navigate, settle]);

  const switchTo = useCallback(
    (m: Mode) => {
      if (routeMode) navigate(`/${m}${location.search}`, { replace: true });
      else setLocal({ mode: m, options: {} });
    },
    [routeMode, navigate, location.search],
  );

  // The API client's "sign in again" prompt (reauth.ts).
  const lastEmail = useRef<string | undefined>(undefined);
  if (user) lastEmail.current = user.email;
  useEffect(() => {
    setSignInPrompt(
      () =>
        new Promise<boolean>((resolve) => {
          resolver.current?.(false);
          resolver.current = resolve;
          setLocal({
            mode: "sign-in",
            options: { email: lastEmail.current, notice: "Your session has ended. Sign in again to carry on where you were." },
          });
        }),
    );
    return () => setSignInPrompt(null);
  }, []);

  const onSignedIn = useCallback(() => {
    announce("You're signed in.");
    const wasPrompt = resolver.current !== null;
    settle(true);
    if (routeMode && !wasPrompt) navigate(next, { replace: true });
    else setLocal(null);
  }, [announce, settle, routeMode, navigate, next]);

  const onRegistered = useCallback(
    (email: string) => {
      settle(false);
      setLocal(null);
      startMailCooldown(email);
      navigate(`/check-email?email=${encodeURIComponent(email)}`);
    },
    [navigate, settle],
  );

  const onLeave = useCallback(() => {
    settle(false);
    setLocal(null);
  }, [settle]);

  const value = useMemo(() => ({ openSignIn, openRegister }), [openSignIn, openRegister]);
  const titleId = "auth-dialog-title";
  const oauthError = routeMode === "sign-in" ? params.get("error") : null;
  // A sign-in that needs its code (GitHub, a verification link: the server sends the browser here
  // with the challenge pending) opens at the code step.
  const atCodeStep = routeMode === "sign-in" && params.get("second-factor") === "1";
  const oauthCallbackURL = routeMode ? next : location.pathname + location.search;
  const notice =
    local?.options.notice ??
    (oauthError ? (OAUTH_ERRORS[oauthError] ?? `Signing in with the provider didn't work (${oauthError}). Try again, or use your email.`) : null);

  return (
    <AuthDialogsContext value={value}>
      {children}
      {mode && !(routeMode && state.status === "signed-in" && !resolver.current) && (
        <Dialog
          labelledBy={titleId}
          onClose={close}
          className="auth-dialog"
          testId={mode === "sign-in" ? "sign-in-dialog" : "register-dialog"}
          returnFocus={() => document.querySelector<HTMLElement>("[data-user-menu-button]")}
        >
          {mode === "sign-in" ? (
            <SignInForm
              key="sign-in"
              titleId={titleId}
              initialEmail={local?.options.email}
              startAtCode={atCodeStep && !local}
              notice={notice}
              oauthCallbackURL={oauthCallbackURL}
              onSignedIn={onSignedIn}
              onSwitchToRegister={() => switchTo("register")}
              onLeave={onLeave}
            />
          ) : (
            <RegisterForm
              key="register"
              titleId={titleId}
              oauthCallbackURL={oauthCallbackURL}
              onRegistered={onRegistered}
              onSwitchToSignIn={() => switchTo("sign-in")}
            />
          )}
        </Dialog>
      )}
    </AuthDialogsContext>
  );
}

export function useAuthDialogs(): AuthDialogsValue {
  const ctx = use(AuthDialogsContext);
  if (!ctx) throw new Error("useAuthDialogs must be used inside <AuthDialogsProvider>");
  return ctx;
}

/** The page's main way on once the reader must sign in (a confirmed address, a new password). */
export function SignInButton() {
  const { openSignIn } = useAuthDialogs();
  return (
    <button type="button" className="button button-primary" onClick={() => openSignIn()}>
      Sign in
    </button>
  );
}
