import type { BetterAuthPlugin } from "better-auth";

/**
 * An absolute lifetime for browser sessions (ASVS 7.3.2). Better Auth only slides `expiresAt`
 * forward; this keeps `expiresAt` from ever passing `createdAt + absoluteSeconds` (on create, and
 * after every sliding refresh), so Better Auth's own expiry check ends the session on every path
 * (get-session, /token, list-sessions, change-password...) and our hot path agrees.
 *
 * (It used to wrap `internalAdapter.findSession` in `init`, but Better Auth builds a new internal
 * adapter after the plugins' `init` run, so the wrapper never took effect.)
 */
/** `expiresAt`, held to at most `createdAt + capMs`. */
export function cappedExpiry(createdAt: Date, expiresAt: Date, capMs: number): Date {
  const cap = createdAt.getTime() + capMs;
  return expiresAt.getTime() <= cap ? expiresAt : new Date(cap);
}

export function sessionCapPlugin(options: { absoluteSeconds: number }) {
  const capMs = options.absoluteSeconds * 1000;
  const ms = (v: Date | string | number) => new Date(v).getTime();
  return {
    id: "aibook-session-cap",
    init(ctx) {
      return {
        options: {
          databaseHooks: {
            session: {
              create: {
                async before(session) {
                  const createdAt = new Date(session.createdAt ?? Date.now());
                  const expiresAt = cappedExpiry(createdAt, new Date(session.expiresAt), capMs);
                  if (expiresAt.getTime() === ms(session.expiresAt)) return;
                  return { data: { ...session, expiresAt } };
                },
              },
              update: {
                async after(session) {
                  if (!session?.createdAt || !session.expiresAt) return;
                  const cap = ms(session.createdAt) + capMs;
                  if (ms(session.expiresAt) <= cap) return;
                  // The raw adapter: no hooks, no recursion.
                  await ctx.adapter.update({
                    model: "session",
                    where: [{ field: "id", value: session.id }],
                    update: { expiresAt: new Date(cap) },
                  });
                },
              },
            },
          },
        },
      };
    },
  } satisfies BetterAuthPlugin;
}
