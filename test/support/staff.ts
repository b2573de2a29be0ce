/**
 * Staff accounts for tests: a signed-in account given a role, with a second factor enrolled and
 * confirmed in its session (the session then counts as having passed it: STAFF_REQUIRE_2FA).
 */
import { expect } from "vitest";
import type { TestInstance } from "./instance.ts";
import { totpCode } from "./totp.ts";

export type Role = "user" | "moderator" | "admin";

/** Enrol TOTP in the client's session and confirm it with a first code: the authenticator's URI and the recovery codes. */
export async function enrolSecondFactor(client: { post(url: string, body?: unknown): Promise<{ status: number; json: any; text: string }> }, password: string) {
  const enable = await client.post("/api/auth/two-factor/enable", { password });
  expect(enable.status, enable.text).toBe(200);
  const { totpURI, backupCodes } = enable.json as { totpURI: string; backupCodes: string[] };
  const confirm = await client.post("/api/auth/two-factor/verify-totp", { code: totpCode(totpURI) });
  expect(confirm.status, confirm.text).toBe(200);
  return { totpURI, backupCodes };
}

/** A signed-in account with `role`; staff also get a second factor, passed in this session. */
export async function accountWithRole(t: TestInstance, role: Role, name = `A ${role}`) {
  const u = await t.signedInUser({ name });
  if (role === "user") return { ...u, totpURI: null as string | null };
  await t.services.db.kysely.updateTable("user").set({ role }).where("id", "=", u.userId).execute();
  t.services.userEvents.changed(u.userId);
  const { totpURI } = await enrolSecondFactor(u.client, u.password);
  return { ...u, totpURI: totpURI as string | null };
}
