/**
 * Better Auth's trusted-device cookie, where our code meets it. Its two-factor plugin sets
 * `trust_device` (signed with the auth secret, as every Better Auth cookie) to
 * `<HMAC of userId!identifier>!<identifier>`; `identifier` (`trust-device-…`) names a row in the
 * `verification` table whose value is the user id and whose expiry is the trust's. A sign-in from
 * the device replaces both (new identifier, same expiry length). Deleting the row ends the trust:
 * the plugin then asks for the code again. Better Auth writes these inline; the trusted-device
 * tests (test/integration/trusted-devices.test.ts) follow real rows and cookies.
 */
import { readCookie, verifySignedValue } from "./cookies.ts";

const COOKIE = "trust_device";
const PREFIX = "trust-device-";

/** Whether a verification identifier is a trusted device's. */
export const isTrustDeviceIdentifier = (identifier: string) => identifier.startsWith(PREFIX);

/** SQL LIKE pattern of every trusted device's verification identifier. */
export const TRUST_DEVICE_IDENTIFIER_PATTERN = `${PREFIX}%`;

const identifierOf = (value: string | null | false | undefined) => {
  const identifier = value ? value.split("!")[1] : undefined;
  return identifier && isTrustDeviceIdentifier(identifier) ? identifier : null;
};

/** A reader of the trusted-device cookie in a Cookie header, for our own routes. */
export function trustCookieReader(ctx: { secret: string; createAuthCookie(name: string): { name: string } }): (cookieHeader: string | null | undefined) => string | null {
  const name = ctx.createAuthCookie(COOKIE).name;
  return (header) => {
    const signed = readCookie(header, name);
    return signed ? identifierOf(verifySignedValue(signed, ctx.secret)) : null;
  };
}
