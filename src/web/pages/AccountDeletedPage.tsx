import { useEffect } from "react";
import { Link } from "react-router";
import { sessionStore } from "../auth/session-store.ts";
import { useDocumentTitle } from "../ui/bits.tsx";

/** `/account-deleted`: where the "confirm deletion" email link lands, and where deletion ends. */
export function AccountDeletedPage() {
  useDocumentTitle("Account deleted");
  useEffect(() => {
    void sessionStore.refresh().then(() => sessionStore.broadcast());
  }, []);
  return (
    <div className="page-content narrow">
      <h1>Your account has been deleted</h1>
      <p className="lead" role="status">
        Your account and everything in it are gone, and you're signed out. Thank you for reading with us.
      </p>
      <p>
        <Link to="/" className="button button-primary">
          Back to the book
        </Link>
      </p>
    </div>
  );
}
