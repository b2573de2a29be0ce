import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { SkeletonLines } from "../ui/bits.tsx";
import type { StaffUserSummary, StaffUsersQuery } from "../../shared/api/staff.ts";
import { formatDate, roleName } from "./format.ts";
import { fetchUsers } from "./staff-api.ts";
import { StaffPage } from "./StaffPage.tsx";
import { useLoad } from "./use-load.ts";

const SEARCH_DELAY_MS = 300;

const FILTERS = [
  { name: "role", label: "Role", options: [["user", "Readers"], ["moderator", "Moderators"], ["admin", "Admins"]] },
  { name: "banned", label: "Banned", options: [["true", "Banned"], ["false", "Not banned"]] },
  { name: "verified", label: "Email", options: [["true", "Verified"], ["false", "Not verified"]] },
  {
    name: "twoFactor",
    label: (
      <>
        Two-step<span className="visually-hidden"> verification</span>
      </>
    ),
    options: [["true", "On"], ["false", "Off"]],
  },
] as const;

const SORTS = [
  ["createdAt:desc", "Newest first"],
  ["createdAt:asc", "Oldest first"],
  ["email:asc", "Email, A to Z"],
  ["email:desc", "Email, Z to A"],
  ["name:asc", "Name, A to Z"],
  ["name:desc", "Name, Z to A"],
] as const;

/** The list's state from the URL: only values the server accepts (staffUsersQuery); the rest is left out. */
function queryFrom(params: URLSearchParams): StaffUsersQuery {
  const pick = <T extends string>(name: string, allowed: readonly T[]) => {
    const v = params.get(name);
    return allowed.includes(v as T) ? (v as T) : undefined;
  };
  const page = Number(params.get("page"));
  const limit = Number(params.get("limit"));
  return {
    q: params.get("q")?.trim().slice(0, 200) || undefined,
    role: pick("role", ["user", "moderator", "admin"]),
    banned: pick("banned", ["true", "false"]),
    verified: pick("verified", ["true", "false"]),
    twoFactor: pick("twoFactor", ["true", "false"]),
    sort: pick("sort", ["createdAt", "email", "name"]) ?? "createdAt",
    order: pick("order", ["asc", "desc"]) ?? "desc",
    page: Number.isInteger(page) && page > 1 ? page : 1,
    // Not offered in the page (25 a page), but kept when a link carries it.
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : undefined,
  };
}

/**
 * `/staff/users`: accounts searched (by email or name, as one types), filtered, sorted and paged,
 * all in the URL so reload, back and forward and a shared link show the same list.
 */
export function ReadersPage() {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const query = queryFrom(params);
  const key = JSON.stringify(query);
  const { data, error, loading, reload } = useLoad((signal) => fetchUsers(query, signal), key);

  /** A new URL from the current one: `changes` set (undefined removes), back to page 1 unless a page is given. */
  function update(changes: Record<string, string | undefined>, { replace = false } = {}) {
    const next = new URLSearchParams(params);
    if (!("page" in changes)) next.delete("page");
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace });
  }

  const pages = data ? Math.max(1, Math.ceil(data.total / data.limit)) : 1;
  const pageHref = (n: number) => {
    const next = new URLSearchParams(params);
    if (n > 1) next.set("page", String(n));
    else next.delete("page");
    const s = next.toString();
    return s ? `?${s}` : location.pathname;
  };
  const filtered = Boolean(query.q || query.role || query.banned || query.verified || query.twoFactor);

  return (
    <StaffPage title="Readers" loadError={error} onRetry={() => void reload()}>
      <SearchBox value={query.q ?? ""} onSearch={(q, replace) => update({ q: q || undefined }, { replace })} />
      <div className="staff-filters">
        {FILTERS.map((f) => (
          <Select
            key={f.name}
            label={f.label}
            value={query[f.name] ?? ""}
            options={[["", "Any"], ...f.options]}
            onChange={(v) => update({ [f.name]: v || undefined })}
          />
        ))}
        <Select
          label="Sort by"
          value={`${query.sort}:${query.order}`}
          options={SORTS}
          onChange={(v) => {
            const [sort, order] = v.split(":");
            update({ sort: sort === "createdAt" ? undefined : sort, order: order === "desc" && sort === "createdAt" ? undefined : order });
          }}
        />
      </div>

      <p className="staff-count" role="status">
        {data &&
          (data.total === 0 ? (
            <span className="visually-hidden">No readers match.</span>
          ) : (
            `${data.total.toLocaleString()} ${data.total === 1 ? "account" : "accounts"}${pages > 1 ? `, page ${data.page} of ${pages}` : ""}.`
          ))}
      </p>

      {!data && !error && <SkeletonLines lines={8} label="Loading the accounts…" />}
      {data && data.users.length === 0 && (
        <div className="empty-state">
          <h2>No readers match</h2>
          {filtered ? (
            <p>
              Nothing matches {query.q ? <>“{query.q}”</> : "these filters"}. <Link to="/staff/users">Clear the search and filters</Link>
            </p>
          ) : (
            <p>There are no accounts yet.</p>
          )}
        </div>
      )}
      {data && data.users.length > 0 && (
        <UsersTable users={data.users} sort={query.sort ?? "createdAt"} order={query.order ?? "desc"} busy={loading} back={location.search} />
      )}
      {data && pages > 1 && (
        <nav className="pager" aria-label="Pages of accounts">
          {data.page > 1 ? (
            <Link to={pageHref(data.page - 1)} rel="prev">
              ← Previous page
            </Link>
          ) : (
            <span />
          )}
          <span>
            Page {data.page} of {pages}
          </span>
          {data.page < pages ? (
            <Link to={pageHref(data.page + 1)} rel="next">
              Next page →
            </Link>
          ) : (
            <span />
          )}
        </nav>
      )}
    </StaffPage>
  );
}

/** Search as one types (debounced; the URL is replaced, not stacked, while typing); Enter searches at once. */
function SearchBox({ value, onSearch }: { value: string; onSearch(q: string, replace: boolean): void }) {
  const [text, setText] = useState(value);
  const sent = useRef(value);
  const onSearchRef = useRef(onSearch);
  onSearchRef.current = onSearch;
  const id = useId();

  // Back and forward change the URL: show its search (not when it is the one typed here).
  useEffect(() => {
    if (value !== sent.current) setText(value);
    sent.current = value;
  }, [value]);

  useEffect(() => {
    if (text.trim() === sent.current) return;
    const t = setTimeout(() => {
      sent.current = text.trim();
      onSearchRef.current(text.trim(), true);
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(t);
  }, [text]);

  return (
    <form
      role="search"
      className="staff-search"
      onSubmit={(e) => {
        e.preventDefault();
        sent.current = text.trim();
        onSearchRef.current(text.trim(), false);
      }}
    >
      <label htmlFor={id}>Search by email or name</label>
      <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} maxLength={200} />
    </form>
  );
}

function Select({ label, value, options, onChange }: { label: ReactNode; value: string; options: readonly (readonly [string, string])[]; onChange(v: string): void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

function UsersTable({ users, sort, order, busy, back }: { users: StaffUserSummary[]; sort: string; order: string; busy: boolean; back: string }) {
  const ariaSort = (column: string) => (sort === column ? (order === "asc" ? "ascending" : "descending") : undefined);
  return (
    <div className="table-scroll" role="region" aria-labelledby="users-caption" tabIndex={0}>
      <table className="data-table" aria-busy={busy || undefined}>
        <caption id="users-caption" className="visually-hidden">
          Accounts
        </caption>
        <thead>
          <tr>
            <th scope="col" aria-sort={ariaSort("name") ?? ariaSort("email")}>
              Account
            </th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Two-step</th>
            <th scope="col" aria-sort={ariaSort("createdAt")}>
              Joined
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <th scope="row">
                <Link to={`/staff/users/${encodeURIComponent(u.id)}`} state={{ back }} className="account-link">
                  <span className="account-name">{u.name || "(no name)"}</span>
                  <span className="account-email">{u.email}</span>
                </Link>
              </th>
              <td>{roleName(u.role)}</td>
              <td>
                {u.banned ? (
                  <span className="tag tag-danger">Banned</span>
                ) : u.emailVerified ? (
                  "Active"
                ) : (
                  <span className="tag">Not verified</span>
                )}
              </td>
              <td>{u.twoFactorEnabled ? "On" : "Off"}</td>
              <td>
                <time dateTime={u.createdAt}>{formatDate(u.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
