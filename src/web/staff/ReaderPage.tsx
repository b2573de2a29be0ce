import { useRef, useState, type ReactNode, type Ref } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { ApiError } from "../api/api-error.ts";
import type { SessionUser } from "../auth/session-store.ts";
import { useAnnounce } from "../ui/Announcer.tsx";
import { SkeletonLines } from "../ui/bits.tsx";
import type { StaffSession, StaffUserDetail } from "../../shared/api/staff.ts";
import { ActionDialog } from "./ActionDialog.tsx";
import { EventActor } from "./EventActor.tsx";
import { describeDevice, eventFacts, formatDateTime, roleName, staffEventName, toIso } from "./format.ts";
import { ReaderActions } from "./ReaderActions.tsx";
import { endSession, fetchUser } from "./staff-api.ts";
import { staffErrorMessage } from "./staff-errors.ts";
import { StaffPage } from "./StaffPage.tsx";
import { useLoad } from "./use-load.ts";

/** `/staff/users/:id`: one account as staff see it (never a token, never a chat's contents), and what they may do to it. */
export function ReaderPage({ me }: { me: SessionUser }) {
  const { id = "" } = useParams();
  return <Reader key={id} id={id} me={me} />;
}

/** Refusals of the page itself that are not a load failure to retry. */
function refusal(e: unknown): { heading: string; text: string } | null {
  if (!(e instanceof ApiError)) return null;
  if (e.code === "TARGET_IS_STAFF") return { heading: "Only admins can open this account", text: staffErrorMessage(e) };
  if (e.status === 404) return { heading: "No such account", text: staffErrorMessage(new ApiError(404, "USER_NOT_FOUND", "")) };
  return null;
}

function Reader({ id, me }: { id: string; me: SessionUser }) {
  const { data, error, reload } = useLoad((signal) => fetchUser(id, signal), id);
  const location = useLocation();
  const navigate = useNavigate();
  const announce = useAnnounce();
  const actionsHeading = useRef<HTMLHeadingElement>(null);
  const sessionsHeading = useRef<HTMLHeadingElement>(null);
  const back = `/staff/users${(location.state as { back?: string } | null)?.back ?? ""}`;
  const backLink = (
    <p className="back-link">
      <Link to={back}>← All accounts</Link>
    </p>
  );

  /** After an action: say so, show the account as it is now, and put focus where the change is. */
  async function done(message: string, where: HTMLElement | null, removed = false) {
    announce(message);
    if (removed) return void navigate("/staff/users", { replace: true });
    await reload();
    // After the dialog has given focus back to its opener (ui/Dialog.tsx), which may be gone now.
    requestAnimationFrame(() => where?.focus());
  }

  const refused = data ? null : refusal(error);
  if (refused) {
    return (
      <StaffPage title={refused.heading}>
        <p className="lead">{refused.text}</p>
        {backLink}
      </StaffPage>
    );
  }
  if (!data) {
    return (
      <StaffPage title="Account" loadError={error} onRetry={() => void reload()}>
        {!error && <SkeletonLines lines={10} label="Loading the account…" />}
      </StaffPage>
    );
  }

  const { user } = data;
  const name = user.name || user.email;
  return (
    <StaffPage title={name} loadError={error} onRetry={() => void reload()}>
      {backLink}
      <div className="reader-grid">
        <Profile detail={data} />
        <ReaderActions me={me} user={user} headingRef={actionsHeading} onDone={(message, removed) => done(message, actionsHeading.current, removed)} />
        <Sessions
          detail={data}
          canEnd={me.id !== user.id && (me.role === "admin" || user.role === "user")}
          headingRef={sessionsHeading}
          onDone={(message) => done(message, sessionsHeading.current)}
        />
        <Activity detail={data} me={me} />
      </div>
    </StaffPage>
  );
}

function Profile({ detail }: { detail: StaffUserDetail }) {
  const { user, chats, signInMethods } = detail;
  const facts: [string, ReactNode][] = [
    ["Email", user.email],
    ["Name", user.name || "(none)"],
    ["Role", roleName(user.role)],
    ["Email verified", user.emailVerified ? "Yes" : "No"],
    ["Two-step verification", user.twoFactorEnabled ? "On" : "Off"],
    [
      "Status",
      user.banned ? (
        <>
          <span className="tag tag-danger">Banned</span> {user.banExpires ? <>until {formatDateTime(user.banExpires)}</> : "until lifted"}
          {user.banReason && <span className="fact-more">Reason: {user.banReason}</span>}
        </>
      ) : (
        "Active"
      ),
    ],
    ["Joined", <time dateTime={toIso(user.createdAt)}>{formatDateTime(user.createdAt)}</time>],
    ["Signs in with", signInMethods.length ? signInMethods.map(methodName).join(", ") : "No method"],
    ["Chats", `${chats.count.toLocaleString()} (${chats.questions.toLocaleString()} ${chats.questions === 1 ? "question" : "questions"})`],
  ];
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

const METHODS: Record<string, string> = { credential: "Password", google: "Google", github: "GitHub" };
const methodName = (m: string) => METHODS[m] ?? m.charAt(0).toUpperCase() + m.slice(1);

function Sessions({ detail, canEnd, headingRef, onDone }: { detail: StaffUserDetail; canEnd: boolean; headingRef: Ref<HTMLHeadingElement>; onDone(message: string): Promise<void> }) {
  const [ending, setEnding] = useState<StaffSession | null>(null);
  const sessions = detail.sessions;
  const name = detail.user.name || detail.user.email;
  return (
    <section className="card" aria-labelledby="reader-sessions-title">
      <h2 id="reader-sessions-title" ref={headingRef} tabIndex={-1}>
        Sessions
      </h2>
      {sessions.length === 0 ? (
        <p>Not signed in anywhere.</p>
      ) : (
        <ul className="session-list">
          {sessions.map((s) => {
            const device = describeDevice(s.userAgent);
            return (
              <li key={s.id} className="session">
                <div>
                  <p className="session-device">
                    {device}
                    {s.secondFactor && <span className="tag">with a code</span>}
                  </p>
                  <p className="session-meta">
                    Signed in <time dateTime={toIso(s.createdAt)}>{formatDateTime(s.createdAt)}</time> · last active{" "}
                    <time dateTime={toIso(s.updatedAt)}>{formatDateTime(s.updatedAt)}</time>
                    {s.ip && <> · IP address {s.ip}</>}
                  </p>
                  {s.userAgent && <p className="session-agent">{s.userAgent}</p>}
                </div>
                {canEnd && (
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-haspopup="dialog"
                    aria-label={`End session on ${device}${s.ip ? ` (${s.ip})` : ""}`}
                    onClick={() => setEnding(s)}
                  >
                    End session
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {ending && (
        <ActionDialog
          title="End this session?"
          intro={
            <p>
              {name} is signed out on {describeDevice(ending.userAgent)}
              {ending.ip ? ` (${ending.ip})` : ""}. Their other sessions go on.
            </p>
          }
          confirm="End session"
          busyLabel="Ending…"
          reason="optional"
          onClose={() => setEnding(null)}
          run={async (reason) => {
            await endSession(detail.user.id, ending.id, reason);
            setEnding(null);
            await onDone(`Ended ${name}'s session on ${describeDevice(ending.userAgent)}.`);
          }}
        />
      )}
    </section>
  );
}

function Activity({ detail, me }: { detail: StaffUserDetail; me: SessionUser }) {
  const events = detail.activity;
  return (
    <section className="card reader-activity" aria-labelledby="reader-activity-title">
      <h2 id="reader-activity-title">Security activity</h2>
      {events.length === 0 ? (
        <p>No security events yet.</p>
      ) : (
        <ul className="event-list">
          {events.map((e) => {
            const facts = eventFacts(e);
            return (
              <li key={e.id} className="event" data-event-type={e.type}>
                <p className="event-type">
                  {staffEventName(e.type)}
                  {facts.change && <span className="event-change"> ({facts.change})</span>}
                </p>
                <p className="event-meta">
                  <time dateTime={toIso(e.createdAt)}>{formatDateTime(e.createdAt)}</time>
                  <EventActor event={e} me={me} prefix=" · by " />
                  {e.ip && <> · IP address {e.ip}</>}
                </p>
                {facts.reason && <p className="event-reason">Reason: {facts.reason}</p>}
              </li>
            );
          })}
        </ul>
      )}
      {me.role === "admin" && (
        <p>
          <Link to={`/staff/audit?target=${encodeURIComponent(detail.user.id)}`}>All of this account's events in the audit log</Link>
        </p>
      )}
    </section>
  );
}
