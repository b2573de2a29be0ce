import type { BetterAuthPlugin } from "better-auth";

/**
 * An absolute lifetime for browser sessions (ASVS 7.3.2). Better Auth only slides `expiresAt`
 * forward; wrapping `findSession` makes every path (get-session, /token, list, our hot path's
 * fallback) treat a session older than the cap as gone, and deletes it.
 */
export function sessionCapPlugin(options: { absoluteSeconds: number }) {
  return {
    id: "aibook-session-cap",
    init(ctx) {
      const adapter = ctx.internalAdapter;
      const findSession = adapter.findSession.bind(adapter);
      adapter.findSession = async (token: string) => {
        const found = await findSession(token);
        if (!found) return found;
        const createdAt = new Date(found.session.createdAt).getTime();
        if (Date.now() - createdAt > options.absoluteSeconds * 1000) {
          await adapter.deleteSession(token).catch(() => {});
          return null;
        }
        return found;
      };
    },
  } satisfies BetterAuthPlugin;
}
