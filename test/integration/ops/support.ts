/** What the operations tests share: the configured admin, a production secret, header and error checks. */
import { expect } from "vitest";
import type { TestInstance, TestResponse } from "../../support/instance.ts";

export const BOSS = "boss@example.com";
export const PROD_SECRET = "Pq7wX2mZr9Lk4Vt8Ns3Hb6Yc1Fd5Gj0Ae2Ku7Qo";
export const DEFAULTS = { theme: "system", language: "en", notifications: { security: true, product: false } };

export function expectSecurityHeaders(res: TestResponse, what: string, opts: { hsts: boolean }) {
  const h = res.headers;
  const csp = h.get("content-security-policy") ?? "";
  const directives = csp.split(";").map((d) => d.trim());
  // 3.4.3, 3.4.6
  expect(directives, `${what}: CSP`).toEqual(expect.arrayContaining(["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]));
  expect(h.get("x-content-type-options"), `${what}: nosniff`).toBe("nosniff"); // 3.4.4
  expect(h.get("referrer-policy"), `${what}: Referrer-Policy`).toMatch(/^(no-referrer|strict-origin|strict-origin-when-cross-origin|same-origin)$/); // 3.4.5
  if (opts.hsts) expect(h.get("strict-transport-security"), `${what}: HSTS`).toMatch(/^max-age=(\d+)/); // 3.4.1
  else expect(h.get("strict-transport-security"), `${what}: no HSTS`).toBeNull();
  if (opts.hsts) expect(Number(/max-age=(\d+)/.exec(h.get("strict-transport-security")!)![1])).toBeGreaterThanOrEqual(31_536_000);
}

/** 16.5.1 / 15.3.1: an error is { code, message } JSON with no stack trace, internals or secret. */
export function expectCleanError(res: TestResponse, t: TestInstance, status: number, code?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(typeof res.json?.code, res.text).toBe("string");
  expect(typeof res.json?.message, res.text).toBe("string");
  if (code) expect(res.json.code).toBe(code);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(|\bat .+:\d+:\d+|node_modules|node:internal|\.ts:\d+|stack/i);
  expect(res.text).not.toMatch(/Sqlite|SQLITE_|postgres|relation "|syntax error|destroyed|ECONNREFUSED/i);
  expect(res.text).not.toContain(t.services.config.secret);
  expect(res.text).not.toMatch(/\$argon2|scrypt/);
}
