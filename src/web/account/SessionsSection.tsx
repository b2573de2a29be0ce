import { useCallback, useEffect, useState } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { useAuth } from "../auth/AuthProvider.tsx";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import { sessionStore } from "../auth/session-store.ts";
import { useAnnounce } from "../ui/Announcer.tsx";
import { ErrorMessage, LoadFailed, SkeletonLines, Spinner, StatusMessage } from "../ui/bits.tsx";
import { describeDevice, formatDateTime, toIso } from "./format.ts";
import { TrustedDevices } from "./TrustedDevices.tsx";

interface SessionRow {
  id: string;
  token: string;
  userAgent?: string | null;
  ipAddress?: string | null;
  createdAt: string | Date;
  updatedAt: string | Date;
}

/** Where the reader is signed in; revoke one, or sign out everywhere. */
export function SessionsSection({ version }: { version: number }) {
  const { state } = useAuth();
  const announce = useAnnounce();
  const current = state.session;
  const [sessions, setSessions] = useState<SessionRow[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      const rows = await authCall((fetchOptions) => authClient.listSessions({ fetchOptions }), { reauth: true });
      setSessions((rows as SessionRow[]).slice().sort((a, b) => +new Date(b.updatedAt) - +new Date(a.updatedAt)));
    } catch (e) {
      setLoadError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, version]);

  const isCurrent = (s: SessionRow) => !!current && (s.id === current.id || s.token === current.token);

  async function revoke(s: SessionRow) {
    setBusy(s.id);
    setStatus(null);
    setError(null);
    try {
      await authCall((fetchOptions) => authClient.revokeSession({ token: s.token, fetchOptions }), { reauth: true });
      setSessions((list) => list?.filter((x) => x.id !== s.id) ?? null);
      setStatus(`Signed out ${describeDevice(s.userAgent)}.`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  async function signOutEverywhere() {
    setBusy("all");
    setStatus(null);
    setError(null);
    try {
      await authCall((fetchOptions) => authClient.revokeSessions({ fetchOptions }), { reauth: true });
      // This device's session is gone too; clear its cookie (the server may already say 401).
      await authClient.signOut().catch(() => {});
      await sessionStore.refresh();
      sessionStore.broadcast();
      announce("You're signed out on every device.");
    } catch (e) {
      setError(errorMessage(e));
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p>These are the devices where you're signed in.</p>
      {sessions === null && !loadError && <SkeletonLines lines={3} label="Loading your sessions…" />}
      {loadError && <LoadFailed message={loadError} onRetry={() => void load()} />}
      {sessions && (
        <ul className="session-list">
          {sessions.map((s) => {
            const device = describeDevice(s.userAgent);
            const here = isCurrent(s);
            return (
              <li key={s.id} className="session" data-current={here || undefined}>
                <div>
                  <p className="session-device">
                    {device}
                    {here && <span className="badge">This device</span>}
                  </p>
                  <p className="session-meta">
                    {s.ipAddress ? `${s.ipAddress} · ` : ""}last active <time dateTime={toIso(s.updatedAt)}>{formatDateTime(s.updatedAt)}</time>
                  </p>
                </div>
                {!here && (
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    aria-label={`Revoke session on ${device}${s.ipAddress ? ` (${s.ipAddress})` : ""}`}
                    disabled={busy !== null}
                    onClick={() => void revoke(s)}
                  >
                    {busy === s.id && <Spinner />}
                    Revoke
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <ErrorMessage>{error}</ErrorMessage>
      <StatusMessage>{status}</StatusMessage>
      <button type="button" className="button button-danger-outline" disabled={busy !== null} onClick={() => void signOutEverywhere()}>
        {busy === "all" && <Spinner />}
        Sign out everywhere
      </button>
      <TrustedDevices version={version} />
    </section>
  );
}
