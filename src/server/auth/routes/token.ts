import type { RouteKit } from "./kit.ts";

/** GET /token: Better Auth's JWT for a session. */
export function tokenRoute({ app, s, forward }: RouteKit) {
  // Better Auth's JWT minting: tell our verifier the kid, so a just-rotated key is trusted at once.
  app.get("/token", async (c) => {
    const res = await forward(c);
    if (res.status === 200) {
      const body = (await res.clone().json().catch(() => null)) as { token?: unknown } | null;
      if (typeof body?.token === "string") await s.verifier.noteSigned(body.token);
    }
    return res;
  });
}
