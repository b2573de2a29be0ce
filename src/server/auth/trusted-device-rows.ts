import type { AuthDeps } from "./auth.ts";
import { isTrustDeviceIdentifier, trustCookieReader } from "./better-auth/trust-device.ts";
import type { EndpointContext } from "./better-auth/endpoint.ts";
import { currentRequest } from "../http/request-context.ts";

/**
 * Better Auth's `databaseHooks.verification.create.after`: each trusted-device row it writes is
 * recorded with the device (account/trusted-devices.ts). A row is written when a code is entered
 * with "trust this device" (`/two-factor/verify-totp`, `/verify-backup-code`), and again at each
 * sign-in from that device, which replaces the row named by the request's cookie: the record
 * follows it.
 */
export function recordTrustedDeviceRows(deps: Pick<AuthDeps, "trustedDevices">) {
  return async (row: { identifier: string; value: string; expiresAt: Date | string }, ctx: EndpointContext | null | undefined) => {
    if (!ctx || !isTrustDeviceIdentifier(row.identifier)) return;
    const request = currentRequest();
    await deps.trustedDevices.trusted(
      { identifier: row.identifier, userId: row.value, expiresAt: new Date(row.expiresAt).getTime() },
      {
        // The hook runs in the endpoint's context, which has the request's headers but not its cookie helpers.
        previousIdentifier: trustCookieReader(ctx.context)(ctx.headers?.get("cookie") ?? ctx.request?.headers.get("cookie")),
        userAgent: request?.userAgent ?? ctx.request?.headers.get("user-agent") ?? null,
        ip: request?.ip ?? null,
        sessionId: ctx.context.newSession?.session.id ?? null,
      },
    );
  };
}
