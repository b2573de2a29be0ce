/**
 * What the account tests share: the mails' subjects, cookie helpers, and the flows' helpers,
 * bound to a test instance that each file starts in its own `beforeAll`.
 */
import { expect } from "vitest";
import { sleep } from "../../support/time.ts";
import type { TestClient, TestInstance, TestResponse } from "../../support/instance.ts";

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const VERIFY = /verify your email/i;
export const RESET = /reset your .* password/i;
export const CHANGED = /password was changed/i;
export const CHANGE_EMAIL = /confirm the email change/i;
export const DELETE = /confirm deleting/i;

export const SESSION_COOKIE = "better-auth.session_token";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The Set-Cookie line that sets (or clears) the session token, if any. */
export function sessionSetCookie(res: TestResponse, secure = false): string | undefined {
  const name = `${secure ? "__Secure-" : ""}${SESSION_COOKIE}=`;
  return res.headers.getSetCookie().find((l) => l.startsWith(name));
}

export function sessionTokenOf(c: TestClient): string {
  const value = c.cookies.get(SESSION_COOKIE);
  if (!value) throw new Error("client has no session cookie");
  return decodeURIComponent(value).split(".")[0]!;
}

/** The flows' helpers; `instance()` is read when a helper runs (the instance starts in beforeAll). */
export function accountHelpers(instance: () => TestInstance) {

  const signUp = (c: TestClient, body: Record<string, unknown>) => c.post("/api/auth/sign-up/email", body);
  const signIn = (c: TestClient, email: string, password: string) => c.post("/api/auth/sign-in/email", { email, password });
  const me = (c: TestClient) => c.get("/api/v1/me");
  /** /api/v1/me with a saved cookie header: proves the server-side session is dead, not just the jar. */
  const meWithCookie = (cookie: string) => instance().client().get("/api/v1/me", { headers: { cookie } });

  const mailsTo = (email: string, subject: RegExp) =>
    instance().mail.mails.filter((m) => m.to.some((x) => x.toLowerCase() === email.toLowerCase()) && subject.test(m.subject));

  /** Let background sends reach the catcher before asserting that a mail did NOT arrive. */
  async function settle() {
    await sleep(150);
    await instance().services.mailer.drain();
    await sleep(50);
  }

  async function tokenGrant(email: string, password: string): Promise<string> {
    const res = await instance().client().post("/api/v1/auth/token", { grant_type: "password", email, password });
    expect(res.status, res.text).toBe(200);
    return res.json.refresh_token as string;
  }
  const refresh = (refreshToken: string) =>
    instance().client().post("/api/v1/auth/token", { grant_type: "refresh_token", refresh_token: refreshToken });

  async function expectRefreshRevoked(refreshToken: string) {
    const res = await refresh(refreshToken);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("invalid_grant");
  }

  async function userRow(email: string) {
    return instance().services.db.kysely.selectFrom("user").selectAll().where("email", "=", email).executeTakeFirst();
  }

  async function signedInSecondBrowser(email: string, password: string) {
    const c = instance().client();
    const res = await signIn(c, email, password);
    expect(res.status, res.text).toBe(200);
    expect((await me(c)).status).toBe(200); // warms the hot-path cache
    return c;
  }

  return { signUp, signIn, me, meWithCookie, mailsTo, settle, tokenGrant, refresh, expectRefreshRevoked, userRow, signedInSecondBrowser };
}
