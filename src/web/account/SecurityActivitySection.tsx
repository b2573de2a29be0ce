import { useCallback, useEffect, useState } from "react";
import { fetchSecurityEvents, type SecurityEvent } from "./account-api.ts";
import { errorMessage } from "../api/error-messages.ts";
import { SkeletonLines, Spinner } from "../ui/bits.tsx";
import { describeDevice, describeEvent, formatDateTime, toIso } from "./format.ts";

const PAGE = 20;

/** GET /api/v1/me/security-events, newest first, a page at a time. */
export function SecurityActivitySection({ version }: { version: number }) {
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async (before?: number) => {
    setLoading(true);
    setError(null);
    try {
      const page = await fetchSecurityEvents(PAGE, before);
      setEvents((list) => (before ? [...(list ?? []), ...page.events] : page.events));
      setNextBefore(page.nextBefore);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load, version]);

  return (
    <section className="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Recent security activity</h2>
      {events === null && !error && <SkeletonLines lines={4} label="Loading your security activity…" />}
      {events && events.length === 0 && <p>No security events yet.</p>}
      {events && events.length > 0 && (
        <ul className="event-list">
          {events.map((e) => (
            <li key={e.id} className="event" data-event-type={e.type}>
              <p className="event-type">{describeEvent(e.type)}</p>
              <p className="event-meta">
                <time dateTime={toIso(e.createdAt)}>{formatDateTime(e.createdAt)}</time>
                {e.ip && <> · IP address {e.ip}</>}
                {e.userAgent && <> · {describeDevice(e.userAgent)}</>}
              </p>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="notice notice-error" role="alert">
          {error}{" "}
          <button type="button" className="link-button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      )}
      {nextBefore !== null && events && (
        <button type="button" className="button button-secondary" disabled={loading} onClick={() => void load(nextBefore)}>
          {loading && <Spinner />}
          Show older activity
        </button>
      )}
    </section>
  );
}
