import { Link } from "react-router";
import { useAuth } from "../auth/AuthProvider.tsx";
import { useAnnounce } from "../ui/Announcer.tsx";
import { MessagePage } from "../ui/bits.tsx";
import { errorMessage } from "../api/error-messages.ts";

/**
 * What the console shows instead of a page the caller cannot open: not staff (FORBIDDEN), or
 * staff without a second factor in this sign-in (TWO_FACTOR_REQUIRED, STAFF_REQUIRE_2FA).
 */
export function NotForYourAccount({ what = "The staff console is for the site's moderators and admins." }: { what?: string }) {
  return <MessagePage title="This page is not for your account" lead={`${what} If you think you should have access, ask an admin.`} />;
}

/**
 * Staff act only from a sign-in that passed a second factor: a freshly made admin is led here to
 * set one up (the account page's Two-step verification section); an enrolled one whose session
 * did not use it is asked to sign in again with the code.
 */
export function SecondFactorNeeded() {
  const { user, signOut } = useAuth();
  const announce = useAnnounce();
  if (user?.twoFactorEnabled) {
    return (
      <MessagePage
        title="Two-step verification needed"
        lead="Your account has two-step verification, but this sign-in didn't use it. Staff work only from a sign-in made with your code."
      >
        <p>Sign out, then sign in again with your password and the code from your authenticator app.</p>
        <p className="button-row">
          <button
            type="button"
            className="button button-primary"
            onClick={() => signOut().then(() => announce("You're signed out. Sign in again with your code."), (e: unknown) => announce(errorMessage(e)))}
          >
            Sign out
          </button>
        </p>
      </MessagePage>
    );
  }
  return (
    <MessagePage
      title="Two-step verification needed"
      lead="The staff console can change other people's accounts, so it opens only for accounts protected by a second step: a code from an authenticator app."
    >
      <p>Turn on two-step verification on your account page. Once it is on, come back here.</p>
      <p className="button-row">
        <Link to="/account#two-factor-title" className="button button-primary">
          Set up two-step verification
        </Link>
      </p>
    </MessagePage>
  );
}
