import { useEffect, useId, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { useAnnounce } from "../ui/Announcer.tsx";
import { isStaff } from "../../shared/roles.ts";

/** The signed-in reader's menu: a disclosure button (their name) opening Account, Preferences, the staff console (staff only), Sign out. */
export function UserMenu() {
  const { user, signOut } = useAuth();
  const announce = useAnnounce();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const panelId = useId();
  const location = useLocation();

  useEffect(() => setOpen(false), [location.pathname]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (!rootRef.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onFocusOut = (e: FocusEvent) => {
      if (e.relatedTarget && !rootRef.current?.contains(e.relatedTarget as Node)) setOpen(false);
    };
    const root = rootRef.current;
    document.addEventListener("pointerdown", onDown);
    document.addEventListener("keydown", onKey);
    root?.addEventListener("focusout", onFocusOut);
    return () => {
      document.removeEventListener("pointerdown", onDown);
      document.removeEventListener("keydown", onKey);
      root?.removeEventListener("focusout", onFocusOut);
    };
  }, [open]);

  if (!user) return null;
  const initial = [...user.name.trim()][0]?.toUpperCase() ?? "?";

  async function doSignOut() {
    setBusy(true);
    try {
      await signOut();
      announce("You're signed out.");
    } catch (e) {
      announce(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <div className="user-menu" ref={rootRef}>
      <button
        ref={buttonRef}
        type="button"
        className="user-menu-button"
        aria-expanded={open}
        aria-controls={panelId}
        data-user-menu-button
        data-testid="user-menu-button"
        onClick={() => setOpen((o) => !o)}
      >
        {user.image ? (
          <img className="avatar" src={user.image} alt="" width={28} height={28} referrerPolicy="no-referrer" />
        ) : (
          <span className="avatar" aria-hidden="true">
            {initial}
          </span>
        )}
        <span className="user-menu-name">{user.name}</span>
        <svg className="chevron" aria-hidden="true" viewBox="0 0 16 16" width="12" height="12">
          <path d="M3 6l5 5 5-5" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
      </button>
      <div id={panelId} className="user-menu-panel" hidden={!open}>
        <p className="user-menu-email">
          Signed in as <strong>{user.email}</strong>
        </p>
        <ul>
          <li>
            <Link to="/account">Account</Link>
          </li>
          <li>
            <Link to="/account/preferences">Preferences</Link>
          </li>
          {isStaff(user.role) && (
            <li>
              <Link to="/staff">Staff console</Link>
            </li>
          )}
          <li>
            <button type="button" onClick={() => void doSignOut()} disabled={busy}>
              {busy ? "Signing out…" : "Sign out"}
            </button>
          </li>
        </ul>
      </div>
    </div>
  );
}
