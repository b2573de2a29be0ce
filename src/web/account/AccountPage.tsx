import { useCallback, useEffect, useState } from "react";
import { useSearchParams } from "react-router";
import { errorMessage } from "../api/error-messages.ts";
import { ApiError } from "../api/api-error.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import type { SessionUser } from "../auth/session-store.ts";
import { AccountNav } from "./AccountNav.tsx";
import { DeleteAccountSection } from "./DeleteAccountSection.tsx";
import { EmailSection } from "./EmailSection.tsx";
import { PasswordSection } from "./PasswordSection.tsx";
import { ProfileSection } from "./ProfileSection.tsx";
import { RequireAuth } from "./RequireAuth.tsx";
import { SecurityActivitySection } from "./SecurityActivitySection.tsx";
import { SessionsSection } from "./SessionsSection.tsx";
import { TwoFactorSection } from "./TwoFactorSection.tsx";

/** `/account`: profile, email, password, two-step verification, sessions, security activity, delete. Signed in only. */
export default function AccountPage() {
  return <RequireAuth title="Account">{(user) => <Account key={user.id} user={user} />}</RequireAuth>;
}

function Account({ user }: { user: SessionUser }) {
  const [params] = useSearchParams();
  const linkError = params.get("error");
  const [hasPassword, setHasPassword] = useState<boolean | null>(null);
  const [version, setVersion] = useState(0);
  const bump = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    let live = true;
    authCall((fetchOptions) => authClient.listAccounts({ fetchOptions }))
      .then((accounts) => live && setHasPassword((accounts as { providerId: string }[]).some((a) => a.providerId === "credential")))
      .catch(() => live && setHasPassword(null));
    return () => {
      live = false;
    };
  }, [user.id]);

  return (
    <div className="page-content account">
      <h1>Account</h1>
      <AccountNav />
      {linkError && (
        <p className="notice notice-error" role="alert">
          {errorMessage(new ApiError(400, linkError, ""))}
        </p>
      )}
      <ProfileSection user={user} />
      <EmailSection user={user} />
      <PasswordSection user={user} hasPassword={hasPassword} onChanged={bump} />
      <TwoFactorSection user={user} hasPassword={hasPassword} onChanged={bump} />
      <SessionsSection version={version} />
      <SecurityActivitySection version={version} />
      <DeleteAccountSection user={user} hasPassword={hasPassword} />
    </div>
  );
}
