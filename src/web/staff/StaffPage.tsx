import type { ReactNode, Ref } from "react";
import { NavLink } from "react-router";
import { useAuth } from "../auth/AuthProvider.tsx";
import { ErrorMessage, useDocumentTitle } from "../ui/bits.tsx";
import { NotForYourAccount, SecondFactorNeeded } from "./AccessPages.tsx";
import { accessCode, staffErrorMessage } from "./staff-errors.ts";

/** The console's pages; the audit log only for admins (moderators cannot open it). */
export function StaffNav() {
  const { role } = useAuth();
  return (
    <nav className="staff-nav" aria-label="Staff console">
      <span className="staff-nav-title" aria-hidden="true">
        Staff console
      </span>
      <NavLink to="/staff" end>
        Overview
      </NavLink>
      <NavLink to="/staff/users">Readers</NavLink>
      {role === "admin" && <NavLink to="/staff/audit">Audit log</NavLink>}
    </nav>
  );
}

/**
 * A console page: the staff nav, its one h1, its content. An access refusal from the server
 * (no second factor, not staff) takes the whole page; any other load error is said in it.
 */
export function StaffPage({
  title,
  heading = title,
  loadError,
  onRetry,
  headingRef,
  children,
}: {
  /** The document title. */
  title: string;
  /** The h1, when it says more than the title. */
  heading?: ReactNode;
  loadError?: unknown;
  onRetry?(): void;
  headingRef?: Ref<HTMLHeadingElement>;
  children?: ReactNode;
}) {
  useDocumentTitle(`${title} · Staff`);
  const access = accessCode(loadError);
  if (access === "TWO_FACTOR_REQUIRED") return <SecondFactorNeeded />;
  if (access === "FORBIDDEN") return <NotForYourAccount />;
  return (
    <div className="page-content staff">
      <StaffNav />
      <h1 ref={headingRef} tabIndex={-1}>
        {heading}
      </h1>
      {loadError != null && (
        <ErrorMessage>
          {staffErrorMessage(loadError)}{" "}
          {onRetry && (
            <button type="button" className="link-button" onClick={onRetry}>
              Try again
            </button>
          )}
        </ErrorMessage>
      )}
      {children}
    </div>
  );
}
