import { useState, type Ref } from "react";
import type { SessionUser } from "../auth/session-store.ts";
import { TextField } from "../ui/fields.tsx";
import { ROLES, type Role } from "../../shared/roles.ts";
import type { StaffUserSummary } from "../../shared/api/staff.ts";
import { ActionDialog, type ActionDialogProps } from "./ActionDialog.tsx";
import { roleName } from "./format.ts";
import { BAN_LENGTHS, banUser, removeUser, resetSecondFactor, sendPasswordReset, setRole, signOutEverywhere, unbanUser } from "./staff-api.ts";

type Kind = "ban" | "unban" | "sign-out" | "role" | "password-reset" | "second-factor" | "remove";

/** What the page does once an action is done: say so, and show the account as it is now (or leave, after a removal). */
export type ActionDone = (message: string, removed?: boolean) => Promise<void>;

/** The actions this staff member may take on this account: the server's rules, so no button only leads to a refusal. */
function allowed(me: SessionUser, user: StaffUserSummary): Kind[] {
  if (me.id === user.id) return []; // NOT_ON_YOURSELF
  const admin = me.role === "admin";
  if (!admin && user.role !== "user") return []; // TARGET_IS_STAFF
  const kinds: Kind[] = [user.banned ? "unban" : "ban", "sign-out"];
  if (admin) {
    kinds.push("role", "password-reset");
    if (user.twoFactorEnabled) kinds.push("second-factor");
    if (user.role !== "admin") kinds.push("remove"); // DEMOTE_FIRST
  }
  return kinds;
}

const LABELS: Record<Kind, string> = {
  ban: "Ban…",
  unban: "Lift the ban…",
  "sign-out": "Sign out everywhere…",
  role: "Change role…",
  "password-reset": "Send a password-reset link…",
  "second-factor": "Turn off two-step verification…",
  remove: "Remove account…",
};

const DANGER = new Set<Kind>(["ban", "remove", "second-factor"]);

/** The account's actions, each behind a confirmation that asks why. */
export function ReaderActions({ me, user, onDone, headingRef }: { me: SessionUser; user: StaffUserSummary; onDone: ActionDone; headingRef: Ref<HTMLHeadingElement> }) {
  const [open, setOpen] = useState<Kind | null>(null);
  const kinds = allowed(me, user);
  return (
    <section className="card" aria-labelledby="actions-title">
      <h2 id="actions-title" ref={headingRef} tabIndex={-1}>
        Actions
      </h2>
      {me.id === user.id ? (
        <p>This is your own account: staff actions can't target it. Change it from your account page.</p>
      ) : kinds.length === 0 ? (
        <p>Only an admin can act on a moderator's or an admin's account.</p>
      ) : (
        <ul className="action-list">
          {kinds.map((k) => (
            <li key={k}>
              <button type="button" className={`button ${DANGER.has(k) ? "button-danger-outline" : "button-secondary"}`} aria-haspopup="dialog" onClick={() => setOpen(k)}>
                {LABELS[k]}
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && <ActionFor kind={open} user={user} onClose={() => setOpen(null)} onDone={onDone} />}
    </section>
  );
}

function ActionFor({ kind, user, onClose, onDone }: { kind: Kind; user: StaffUserSummary; onClose(): void; onDone: ActionDone }) {
  const [length, setLength] = useState(0);
  const [role, setRoleChoice] = useState<Role>(user.role === "user" ? "moderator" : "user");
  const [typed, setTyped] = useState("");
  const name = user.name || user.email;
  const done = (message: string, removed = false) => {
    onClose();
    return onDone(message, removed);
  };

  const dialogs: Record<Kind, Omit<ActionDialogProps, "onClose">> = {
    ban: {
      title: `Ban ${name}?`,
      intro: <p>They are signed out everywhere at once and can't sign in until the ban ends. Their chats are kept.</p>,
      confirm: "Ban",
      busyLabel: "Banning…",
      danger: true,
      reason: "required",
      children: (
        <fieldset>
          <legend>How long</legend>
          <div className="radio-group">
            {BAN_LENGTHS.map((l, i) => (
              <div className="radio" key={l.label}>
                <input type="radio" id={`ban-length-${i}`} name="ban-length" checked={length === i} onChange={() => setLength(i)} />
                <label htmlFor={`ban-length-${i}`}>{l.label}</label>
              </div>
            ))}
          </div>
        </fieldset>
      ),
      run: async (reason) => {
        const l = BAN_LENGTHS[length]!;
        await banUser(user.id, reason!, l.seconds);
        await done(`${name} is banned ${l.seconds ? `for ${l.label}` : "until the ban is lifted"}.`);
      },
    },
    unban: {
      title: `Lift ${name}'s ban?`,
      intro: <p>They can sign in again at once.</p>,
      confirm: "Lift the ban",
      busyLabel: "Lifting…",
      reason: "optional",
      run: async (reason) => {
        await unbanUser(user.id, reason);
        await done(`${name}'s ban is lifted.`);
      },
    },
    "sign-out": {
      title: `Sign ${name} out everywhere?`,
      intro: <p>Every session of theirs ends, in browsers and apps alike. They can sign in again.</p>,
      confirm: "Sign out everywhere",
      busyLabel: "Signing out…",
      reason: "optional",
      run: async (reason) => {
        await signOutEverywhere(user.id, reason);
        await done(`${name} is signed out everywhere.`);
      },
    },
    role: {
      title: `Change ${name}'s role?`,
      intro: (
        <p>
          Now: {roleName(user.role)}. Moderators can look up readers, ban them and end their sessions; admins can do everything in this console. Staff
          need two-step verification to use it.
        </p>
      ),
      confirm: "Change role",
      busyLabel: "Changing…",
      reason: "optional",
      ready: role !== user.role,
      children: (
        <div className="field">
          <label htmlFor="new-role">New role</label>
          <select id="new-role" value={role} onChange={(e) => setRoleChoice(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r} disabled={r === user.role}>
                {roleName(r)}
                {r === user.role ? " (now)" : ""}
              </option>
            ))}
          </select>
        </div>
      ),
      run: async (reason) => {
        await setRole(user.id, role, reason);
        await done(`${name} is now ${role === "admin" ? "an admin" : role === "moderator" ? "a moderator" : "a reader"}.`);
      },
    },
    "password-reset": {
      title: `Send ${name} a password-reset link?`,
      intro: <p>We email {user.email} a link to choose a new password. Nobody else sees or chooses it.</p>,
      confirm: "Send the link",
      busyLabel: "Sending…",
      reason: "optional",
      run: async (reason) => {
        await sendPasswordReset(user.id, reason);
        await done(`A password-reset link is on its way to ${user.email}.`);
      },
    },
    "second-factor": {
      title: `Turn off ${name}'s two-step verification?`,
      intro: <p>For a reader who lost their authenticator app and recovery codes. Their password alone signs them in until they set it up again; they are told by email.</p>,
      confirm: "Turn it off",
      busyLabel: "Turning off…",
      danger: true,
      reason: "required",
      run: async (reason) => {
        await resetSecondFactor(user.id, reason!);
        await done(`Two-step verification is off for ${name}.`);
      },
    },
    remove: {
      title: `Remove ${name}'s account?`,
      intro: <p>The account, its chats and its sessions are deleted for good. This can't be undone.</p>,
      confirm: "Remove the account",
      busyLabel: "Removing…",
      danger: true,
      reason: "optional",
      ready: typed.trim().toLowerCase() === user.email.toLowerCase(),
      children: (
        <TextField label={`Type ${user.email} to confirm`} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} data-autofocus />
      ),
      run: async (reason) => {
        await removeUser(user.id, reason);
        await done(`${user.email}'s account is removed.`, true);
      },
    },
  };
  return <ActionDialog {...dialogs[kind]} onClose={onClose} />;
}
