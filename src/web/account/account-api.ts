import { api } from "../api/client.ts";
import type { Me, SecurityEventsPage, TrustedDevice } from "../../shared/api/me.ts";
import type { Preferences, PreferencesPatch } from "../../shared/preferences.ts";

/** /api/v1/me, in the shapes the server declares (src/shared/api/me.ts). */
export type { SecurityEvent, TrustedDevice } from "../../shared/api/me.ts";

type TrustedDevices = { devices: TrustedDevice[] };

/** The caller's profile; `reauth: false` for background calls that must never open the sign-in dialog. */
export const fetchMe = ({ reauth = true }: { reauth?: boolean } = {}) => api<Me>("/me", { reauth });

export const fetchPreferences = () => api<Preferences>("/me/preferences");

export const savePreferences = (patch: PreferencesPatch) => api<Preferences>("/me/preferences", { method: "PATCH", body: patch });

/** A page of the caller's security events, newest first; `before` is the previous page's `nextBefore`. */
export const fetchSecurityEvents = (limit: number, before?: number) => api<SecurityEventsPage>("/me/security-events", { query: { limit, before } });

/** Devices trusted to skip the second factor (the code step's "trust this device"), newest first. */
export const fetchTrustedDevices = () => api<TrustedDevices>("/me/trusted-devices");

/** Forget one: its next sign-in asks for the code again. */
export const forgetTrustedDevice = (id: string) => api<null>(`/me/trusted-devices/${encodeURIComponent(id)}`, { method: "DELETE" });
