import { Link } from "react-router";
import type { SessionUser } from "../auth/session-store.ts";
import type { AuditEvent } from "../../shared/api/staff.ts";
import { eventFacts, shortId } from "./format.ts";

/**
 * Who did it: "you", the account holder (left unsaid), the ADMIN_EMAILS setting, or a staff member
 * by role, with a link to their account for admins (moderators cannot open staff accounts).
 */
export function EventActor({ event, me, prefix = "" }: { event: AuditEvent; me: SessionUser; prefix?: string }) {
  const { actorId, actorRole, byConfig } = eventFacts(event);
  if (byConfig) return <>{prefix}the ADMIN_EMAILS setting</>;
  if (!actorId || actorId === event.userId) return null;
  if (actorId === me.id) return <>{prefix}you</>;
  const who = actorRole === "admin" ? "an admin" : actorRole === "moderator" ? "a moderator" : "staff";
  if (me.role !== "admin") return <>{prefix}{who}</>;
  return (
    <>
      {prefix}
      {who} (
      <Link to={`/staff/users/${encodeURIComponent(actorId)}`} title={actorId}>
        {shortId(actorId)}
      </Link>
      )
    </>
  );
}
