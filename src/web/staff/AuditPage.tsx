import { useEffect, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useAuth } from "../auth/AuthProvider.tsx";
import { SkeletonLines, Spinner } from "../ui/bits.tsx";
import { TextField } from "../ui/fields.tsx";
import type { AuditEvent } from "../../shared/api/staff.ts";
import { EventActor } from "./EventActor.tsx";
import { EVENT_TYPES, eventFacts, formatDateTime, shortId, staffEventName, toIso } from "./format.ts";
import { auditCsvUrl, fetchAudit, fetchUser, type AuditFilters } from "./staff-api.ts";
import { staffErrorMessage } from "./staff-errors.ts";
import { StaffPage } from "./StaffPage.tsx";
import { useLoad } from "./use-load.ts";

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The filters in the URL (`from`/`to` as UTC days, both included) as the server reads them (epoch ms, `to` excluded). */
function filtersFrom(params: URLSearchParams): AuditFilters {
  const id = (name: string) => (ID.test(params.get(name) ?? "") ? params.get(name)! : undefined);
  const day = (name: string) => (DAY.test(params.get(name) ?? "") ? Date.parse(`${params.get(name)}T00:00:00Z`) : NaN);
  const type = params.get("type") ?? "";
  const from = day("from");
  const to = day("to");
  return {
    actor: id("actor"),
    target: id("target"),
    type: /^[a-z_]{1,64}$/.test(type) ? type : undefined,
    from: Number.isNaN(from) ? undefined : from,
    to: Number.isNaN(to) ? undefined : to + DAY_MS,
  };
}

/** `/staff/audit` (admins): every security and staff event, newest first, filtered in the URL; older pages on request; CSV of the same filters. */
export function AuditPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const key = JSON.stringify(filters);
  const { data, error, loading, reload } = useLoad((signal) => fetchAudit(filters, undefined, signal), key);
  const [older, setOlder] = useState<{ events: AuditEvent[]; nextBefore: string | null; loading: boolean; error: unknown }>({ events: [], nextBefore: null, loading: false, error: null });
  useEffect(() => setOlder({ events: [], nextBefore: null, loading: false, error: null }), [key, data]);

  const events = data ? [...data.events, ...older.events] : [];
  const nextBefore = older.events.length ? older.nextBefore : (data?.nextBefore ?? null);

  async function loadOlder() {
    if (!nextBefore) return;
    setOlder((o) => ({ ...o, loading: true, error: null }));
    try {
      const page = await fetchAudit(filters, nextBefore);
      setOlder((o) => ({ events: [...o.events, ...page.events], nextBefore: page.nextBefore, loading: false, error: null }));
    } catch (e) {
      setOlder((o) => ({ ...o, loading: false, error: e }));
    }
  }

  function apply(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams();
    for (const name of ["target", "actor", "type", "from", "to"]) {
      const v = String(form.get(name) ?? "").trim();
      if (v) next.set(name, v);
    }
    setParams(next);
  }

  const filtered = [...params.keys()].length > 0;
  return (
    <StaffPage title="Audit log" loadError={data ? null : error} onRetry={() => void reload()}>
      <form className="audit-filters" onSubmit={apply} key={params.toString()} aria-label="Filter the audit log">
        <TextField name="target" label="Account (id)" defaultValue={params.get("target") ?? ""} autoComplete="off" spellCheck={false} />
        <TextField name="actor" label="By staff member (id)" defaultValue={params.get("actor") ?? ""} autoComplete="off" spellCheck={false} />
        <div className="field">
          <label htmlFor="audit-type">Event</label>
          <select id="audit-type" name="type" defaultValue={params.get("type") ?? ""}>
            <option value="">Any event</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {staffEventName(t)}
              </option>
            ))}
          </select>
        </div>
        <TextField name="from" type="date" label="From (UTC)" defaultValue={params.get("from") ?? ""} />
        <TextField name="to" type="date" label="To (UTC, included)" defaultValue={params.get("to") ?? ""} />
        <div className="button-row audit-filter-buttons">
          <button type="submit" className="button button-primary">
            Filter
          </button>
          {filtered && (
            <Link to="/staff/audit" className="button button-secondary">
              Clear filters
            </Link>
          )}
          <a href={auditCsvUrl(filters)} download className="button button-secondary">
            Download CSV
          </a>
        </div>
      </form>

      {filters.target && <FilteredAccount id={filters.target} />}
      {!data && !error && <SkeletonLines lines={8} label="Loading the audit log…" />}
      {data && events.length === 0 && (
        <div className="empty-state">
          <h2>No events match</h2>
          <p>{filtered ? "Nothing was recorded with these filters." : "Nothing has been recorded yet."}</p>
        </div>
      )}
      {events.length > 0 && <AuditTable events={events} busy={loading} />}
      {older.error != null && (
        <p className="notice notice-error" role="alert">
          {staffErrorMessage(older.error)}
        </p>
      )}
      {data && nextBefore && (
        <p>
          <button type="button" className="button button-secondary" disabled={older.loading} onClick={() => void loadOlder()}>
            {older.loading && <Spinner />}
            Older events
          </button>
        </p>
      )}
    </StaffPage>
  );
}

/** Whose events these are, in words, when the log is filtered to one account (ids mean nothing to a person). */
function FilteredAccount({ id }: { id: string }) {
  const { data } = useLoad((signal) => fetchUser(id, signal), id);
  if (!data) return null;
  return (
    <p>
      Events of{" "}
      <Link to={`/staff/users/${encodeURIComponent(id)}`}>
        {data.user.name || data.user.email} ({data.user.email})
      </Link>
      .
    </p>
  );
}

function AuditTable({ events, busy }: { events: AuditEvent[]; busy: boolean }) {
  const { user: me } = useAuth();
  return (
    <div className="table-scroll" role="region" aria-labelledby="audit-caption" tabIndex={0}>
      <table className="data-table audit-table" aria-busy={busy || undefined}>
        <caption id="audit-caption" className="visually-hidden">
          Events, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">When</th>
            <th scope="col">Account</th>
            <th scope="col">By</th>
            <th scope="col">Details</th>
            <th scope="col">IP address</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const facts = eventFacts(e);
            const target = e.userId ?? (typeof e.detail?.userId === "string" ? e.detail.userId : null);
            return (
              <tr key={e.id} data-event-type={e.type}>
                <th scope="row">{staffEventName(e.type)}</th>
                <td>
                  <time dateTime={toIso(e.createdAt)}>{formatDateTime(e.createdAt)}</time>
                </td>
                <td>
                  {target ? (
                    e.userId ? (
                      <Link to={`/staff/users/${encodeURIComponent(target)}`} title={target}>
                        {shortId(target)}
                      </Link>
                    ) : (
                      <span title={target}>{shortId(target)} (removed)</span>
                    )
                  ) : (
                    "—"
                  )}
                </td>
                <td>{me && <EventActor event={e} me={me} />}</td>
                <td>
                  {facts.change && <span className="event-change">{facts.change.replace(/^./, (c) => c.toUpperCase())}. </span>}
                  {facts.reason && <>Reason: {facts.reason}</>}
                </td>
                <td>{e.ip ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
