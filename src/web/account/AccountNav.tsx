import { NavLink } from "react-router";

/** Links between the account pages. */
export function AccountNav() {
  return (
    <nav className="account-nav" aria-label="Account pages">
      <NavLink to="/account" end>
        Account
      </NavLink>
      <NavLink to="/account/preferences">Preferences</NavLink>
      <NavLink to="/account/bookmarks">Bookmarks</NavLink>
    </nav>
  );
}
