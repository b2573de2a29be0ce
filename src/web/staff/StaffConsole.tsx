import { Route, Routes } from "react-router";
import { RequireAuth } from "../account/RequireAuth.tsx";
import type { SessionUser } from "../auth/session-store.ts";
import { NotFoundPage } from "../pages/NotFoundPage.tsx";
import { isStaff } from "../../shared/roles.ts";
import { NotForYourAccount } from "./AccessPages.tsx";
import { AuditPage } from "./AuditPage.tsx";
import { OverviewPage } from "./OverviewPage.tsx";
import { ReaderPage } from "./ReaderPage.tsx";
import { ReadersPage } from "./ReadersPage.tsx";

/**
 * `/staff/*`: the console for moderators and admins (issue 10), one lazy chunk. The server
 * decides every access (roles, rank, second factor); the console hides what the caller may not
 * do and words the server's refusals.
 */
export default function StaffConsole() {
  return (
    <RequireAuth title="Staff console" signedOut={{ heading: "Sign in to open the staff console", lead: "The console is for the site's moderators and admins." }}>
      {(user) => (isStaff(user.role) ? <Console user={user} /> : <NotForYourAccount />)}
    </RequireAuth>
  );
}

function Console({ user }: { user: SessionUser }) {
  return (
    <Routes>
      <Route index element={<OverviewPage />} />
      <Route path="users" element={<ReadersPage />} />
      <Route path="users/:id" element={<ReaderPage me={user} />} />
      <Route path="audit" element={user.role === "admin" ? <AuditPage /> : <NotForYourAccount what="The audit log is for admins." />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
