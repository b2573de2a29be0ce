import { useCallback, useEffect, useState } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { ErrorMessage, LoadFailed, Spinner, StatusMessage } from "../ui/bits.tsx";
import { fetchTrustedDevices, forgetTrustedDevice, type TrustedDevice } from "./account-api.ts";
import { describeDevice, formatDateTime, toIso } from "./format.ts";

/**
 * The devices that skip the second factor for 30 days ("Trust this device" at the code step),
 * in the sessions section: forget one and its next sign-in asks for the code again. Shown only
 * when there is one.
 */
export function TrustedDevices({ version }: { version: number }) {
  const [devices, setDevices] = useState<TrustedDevice[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    setLoadError(null);
    try {
      setDevices((await fetchTrustedDevices()).devices);
    } catch (e) {
      setLoadError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, version]);

  async function forget(d: TrustedDevice) {
    setBusy(d.id);
    setStatus(null);
    setError(null);
    try {
      await forgetTrustedDevice(d.id);
      setDevices((list) => list?.filter((x) => x.id !== d.id) ?? null);
      setStatus(`${describeDevice(d.userAgent)} will be asked for a code at its next sign-in.`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  }

  if (loadError) return <LoadFailed message={loadError} onRetry={() => void load()} />;
  if (!devices?.length) return <StatusMessage>{status}</StatusMessage>;
  return (
    <div className="trusted-devices">
      <h3 id="trusted-devices-title">Trusted devices</h3>
      <p>These devices don't ask for a code from your authenticator app when you sign in, until the date shown.</p>
      <ul className="session-list" aria-labelledby="trusted-devices-title">
        {devices.map((d) => {
          const device = describeDevice(d.userAgent);
          return (
            <li key={d.id} className="session" data-current={d.current || undefined}>
              <div>
                <p className="session-device">
                  {device}
                  {d.current && <span className="badge">This device</span>}
                </p>
                <p className="session-meta">
                  {d.ip ? `${d.ip} · ` : ""}trusted <time dateTime={toIso(d.trustedAt)}>{formatDateTime(d.trustedAt)}</time> · until{" "}
                  <time dateTime={toIso(d.expiresAt)}>{formatDateTime(d.expiresAt)}</time>
                </p>
              </div>
              <button
                type="button"
                className="button button-secondary button-small"
                aria-label={`Forget ${d.current ? "this device" : device}${d.ip ? ` (${d.ip})` : ""}`}
                disabled={busy !== null}
                onClick={() => void forget(d)}
              >
                {busy === d.id && <Spinner />}
                Forget this device
              </button>
            </li>
          );
        })}
      </ul>
      <ErrorMessage>{error}</ErrorMessage>
      <StatusMessage>{status}</StatusMessage>
    </div>
  );
}
