import { useRef, type ReactNode } from "react";
import { useAuth } from "../auth/AuthProvider.tsx";
import { useAuthDialogs } from "../auth/AuthDialogs.tsx";
import { SkeletonLines, useDocumentTitle } from "../ui/bits.tsx";
import type { SessionUser } from "../auth/session-store.ts";

/**
 * Signed-in readers see `children(user)`; others a prompt with a sign-in button. While the
 * reader is being asked to sign in again (session ended mid-task), the page stays as it was.
 */
export function RequireAuth({
  title,
  children,
  signedOut = { heading: `Sign in to see your ${title.toLowerCase()}`, lead: `Your ${title.toLowerCase()} page is only for you.` },
}: {
  title: string;
  children: (user: SessionUser) => ReactNode;
  /** What a signed-out visitor is told (default: the page is theirs alone). */
  signedOut?: { heading: string; lead: string };
}) {
  const { state, reauthenticating } = useAuth();
  const { openSignIn } = useAuthDialogs();
  const lastUser = useRef<SessionUser | null>(null);
  if (state.status === "signed-in") lastUser.current = state.user;
  const user = state.status === "signed-in" ? state.user : reauthenticating ? lastUser.current : null;
  useDocumentTitle(user ? title : state.status === "loading" ? null : "Sign in to continue");

  if (user) return <>{children(user)}</>;
  if (state.status === "loading") {
    return (
      <div className="page-content">
        <h1>{title}</h1>
        <SkeletonLines lines={5} label="Loading your account…" />
      </div>
    );
  }
  return (
    <div className="page-content narrow">
      <h1>{signedOut.heading}</h1>
      <p className="lead">{signedOut.lead} Sign in, or create an account if you don't have one yet.</p>
      <p className="button-row">
        <button type="button" className="button button-primary" aria-haspopup="dialog" onClick={() => openSignIn()}>
          Sign in
        </button>
      </p>
    </div>
  );
}
