/**
 * GitHub's token and user endpoints, answered in-process (the only stand-in: a third party):
 * Better Auth's GitHub provider fetches them from the OAuth callback. Undo with
 * `vi.unstubAllGlobals()` after each test.
 */
import { expect, vi } from "vitest";
import type { TestClient } from "./instance.ts";

let gitHubIds = 424242;

/** GitHub answers as the owner of `email` (verified) would; returns which endpoints were called. */
export function playGitHub(email: string): string[] {
  const seen: string[] = [];
  const id = gitHubIds++;
  const realFetch = globalThis.fetch;
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    if (url.startsWith("https://github.com/login/oauth/access_token")) {
      seen.push("token");
      expect(String(init?.body)).toContain("code=the-code");
      return json({ access_token: "gho_fake", token_type: "bearer", scope: "read:user,user:email" });
    }
    if (url === "https://api.github.com/user") {
      seen.push("user");
      return json({ id, login: "octo-reader", name: "Octo Reader", email: null, avatar_url: "https://avatars.example/o.png" });
    }
    if (url === "https://api.github.com/user/emails") {
      seen.push("emails");
      return json([{ email, primary: true, verified: true, visibility: "private" }]);
    }
    return realFetch(input, init);
  });
  return seen;
}

/** "Sign in with GitHub" in `client`, through GitHub's consent (played), back to our callback: its answer. */
export async function signInWithGitHub(client: TestClient, callbackURL = "/read") {
  const start = await client.post("/api/auth/sign-in/social", { provider: "github", callbackURL });
  expect(start.status, start.text).toBe(200);
  const state = new URL(start.json.url).searchParams.get("state")!;
  return client.get(`/api/auth/callback/github?code=the-code&state=${encodeURIComponent(state)}`);
}
