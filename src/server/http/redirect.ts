/**
 * The one check for every redirect target we accept from a request (`callbackURL`,
 * `redirectTo`) (ASVS 3.7.2): a path on this site or a URL on one of our trusted origins.
 *
 * Browsers and `new URL()` drop tabs and newlines and read `\` as `/`, so "/\t/evil.example",
 * "/\\evil.example" and "/%0A/evil.example" (once decoded) all become "//evil.example". Instead of
 * listing such spellings, anything with a control character or a backslash is refused, and what
 * remains is judged after parsing: its origin must be one of ours.
 *
 *   const isSafe = createRedirectCheck("https://books.example", ["https://books.example"]);
 *   isSafe("/verified");                     // true
 *   isSafe("/\t/evil.example");              // false
 */
export type RedirectCheck = (target: string) => boolean;

// C0 controls, DEL and C1 controls, plus the backslash.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\\]/;

export function createRedirectCheck(baseURL: string, trustedOrigins: readonly string[]): RedirectCheck {
  const base = new URL(baseURL);
  const origins = new Set([base.origin, ...trustedOrigins.map((o) => new URL(o).origin)]);
  return function isSafeRedirect(target: string): boolean {
    if (typeof target !== "string" || target.length === 0 || target.length > 2048) return false;
    if (FORBIDDEN.test(target)) return false;
    // A relative target must be a path: "//host" and "///host" name another host.
    const relative = target.startsWith("/");
    if (relative && target.startsWith("//")) return false;
    if (!relative && !/^https?:\/\//i.test(target)) return false; // javascript:, data:, "evil.example", "?x"
    let url: URL;
    try {
      url = new URL(target, base);
    } catch {
      return false;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    if (url.username || url.password) return false; // "https://books.example@evil.example" parses to evil, but also refuse "user@"
    return origins.has(url.origin);
  };
}
