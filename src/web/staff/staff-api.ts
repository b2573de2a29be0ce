import { api } from "../api/client.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import type { Role } from "../../shared/roles.ts";
import type { AuditPage, StaffOverview, StaffUserDetail, StaffUsersPage, StaffUsersQuery } from "../../shared/api/staff.ts";

/**
 * The console's calls: our own /api/v1/staff routes (src/shared/api/staff.ts) and Better Auth's
 * admin routes (/api/auth/admin/*), which take a `reason` our staff plugin records.
 */
export const fetchOverview = (signal?: AbortSignal) => api<StaffOverview>("/staff/overview", { signal });

export const fetchUsers = (query: StaffUsersQuery, signal?: AbortSignal) =>
  api<StaffUsersPage>("/staff/users", { query: query as Record<string, string | number | undefined>, signal });

export const fetchUser = (id: string, signal?: AbortSignal) => api<StaffUserDetail>(`/staff/users/${encodeURIComponent(id)}`, { signal });

/** The audit log's filters as the server reads them (auditQuery), minus paging and format. */
export interface AuditFilters {
  actor?: string;
  target?: string;
  type?: string;
  from?: number;
  to?: number;
}

export const fetchAudit = (filters: AuditFilters, before: string | undefined, signal?: AbortSignal) =>
  api<AuditPage>("/staff/audit", { query: { ...filters, before, limit: 50 }, signal });

/** The same filters as a CSV download (the session cookie goes along with a plain link). */
export function auditCsvUrl(filters: AuditFilters): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== "") params.set(k, String(v));
  params.set("format", "csv");
  return `/api/v1/staff/audit?${params}`;
}

const userPath = (id: string) => `/staff/users/${encodeURIComponent(id)}`;

export const endSession = (userId: string, sessionId: string, reason?: string) =>
  api<unknown>(`${userPath(userId)}/sessions/${encodeURIComponent(sessionId)}`, { method: "DELETE", body: { reason } });

export const sendPasswordReset = (userId: string, reason?: string) => api<unknown>(`${userPath(userId)}/password-reset`, { method: "POST", body: { reason } });

export const resetSecondFactor = (userId: string, reason: string) => api<unknown>(`${userPath(userId)}/second-factor`, { method: "DELETE", body: { reason } });

/** A Better Auth admin route, POSTed as JSON through authCall (errors keyed on their code; a 401 asks to sign in again). */
const admin = (path: string, body: Record<string, unknown>) =>
  authCall((fetchOptions) => authClient.$fetch<unknown>(`/admin/${path}`, { method: "POST", body, ...fetchOptions }), { reauth: true });

/** Ban lengths offered: seconds, or undefined for "until lifted". */
export const BAN_LENGTHS = [
  { label: "Until lifted", seconds: undefined },
  { label: "1 day", seconds: 86_400 },
  { label: "7 days", seconds: 7 * 86_400 },
  { label: "30 days", seconds: 30 * 86_400 },
] as const;

export const banUser = (userId: string, banReason: string, banExpiresIn?: number) => admin("ban-user", { userId, banReason, banExpiresIn });
export const unbanUser = (userId: string, reason?: string) => admin("unban-user", { userId, reason });
export const signOutEverywhere = (userId: string, reason?: string) => admin("revoke-user-sessions", { userId, reason });
export const setRole = (userId: string, role: Role, reason?: string) => admin("set-role", { userId, role, reason });
export const removeUser = (userId: string, reason?: string) => admin("remove-user", { userId, reason });
