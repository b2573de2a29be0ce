import { describe, expect, it } from "vitest";
import { createClientIpResolver, limitKey, normalizeIp } from "./client-ip.ts";

describe("normalizeIp", () => {
  it("normalises IPv4-mapped IPv6 and canonicalises IPv6", () => {
    expect(normalizeIp("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(normalizeIp("::FFFF:1.2.3.4")).toBe("1.2.3.4");
    expect(normalizeIp("0:0:0:0:0:ffff:0102:0304")).toBe("1.2.3.4");
    expect(normalizeIp("2001:DB8:0:0::1")).toBe("2001:db8::1");
    expect(normalizeIp(" 10.0.0.1 ")).toBe("10.0.0.1");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80::1%eth0");
  });
  it("rejects non-IPs", () => {
    for (const bad of ["", "unknown", "1.2.3.4:80", "[::1]", "1.2.3", "300.1.1.1", "example.com", "1.2.3.4/8"]) {
      expect(normalizeIp(bad)).toBeNull();
    }
  });
});

describe("createClientIpResolver", () => {
  it("returns the socket address, normalised, and \"unknown\" when absent", () => {
    const resolve = createClientIpResolver([]);
    expect(resolve("203.0.113.7", undefined)).toBe("203.0.113.7");
    expect(resolve("::ffff:203.0.113.7", undefined)).toBe("203.0.113.7");
    expect(resolve(undefined, undefined)).toBe("unknown");
    expect(resolve(undefined, "1.1.1.1")).toBe("unknown");
  });

  it("ignores a spoofed X-Forwarded-For from an untrusted peer (ASVS 15.3.4)", () => {
    const noProxies = createClientIpResolver([]);
    expect(noProxies("203.0.113.7", "1.2.3.4")).toBe("203.0.113.7");
    const withProxies = createClientIpResolver(["10.0.0.0/8", "127.0.0.1"]);
    expect(withProxies("203.0.113.7", "1.2.3.4, 10.0.0.1")).toBe("203.0.113.7");
    expect(withProxies("::ffff:203.0.113.7", "127.0.0.1")).toBe("203.0.113.7");
  });

  it("honours X-Forwarded-For from a trusted proxy and takes the rightmost untrusted hop", () => {
    const resolve = createClientIpResolver(["10.0.0.0/8", "127.0.0.1"]);
    expect(resolve("127.0.0.1", "198.51.100.9")).toBe("198.51.100.9");
    expect(resolve("::ffff:127.0.0.1", "198.51.100.9")).toBe("198.51.100.9");
    // Client-supplied (spoofed) left part is skipped: the first untrusted hop from the right wins.
    expect(resolve("127.0.0.1", "6.6.6.6, 198.51.100.9, 10.1.2.3, 10.0.0.5")).toBe("198.51.100.9");
    // Every hop trusted: the leftmost is the origin.
    expect(resolve("127.0.0.1", "10.9.9.9, 10.0.0.5")).toBe("10.9.9.9");
    // Empty or missing header: the proxy itself.
    expect(resolve("10.0.0.2", undefined)).toBe("10.0.0.2");
    expect(resolve("10.0.0.2", "")).toBe("10.0.0.2");
    // Multiple header lines joined by ", ".
    expect(resolve("10.0.0.2", "1.1.1.1, 2.2.2.2")).toBe("2.2.2.2");
  });

  it("stops at malformed XFF entries and uses the last good hop", () => {
    const resolve = createClientIpResolver(["10.0.0.0/8"]);
    expect(resolve("10.0.0.1", "garbage")).toBe("10.0.0.1");
    expect(resolve("10.0.0.1", "198.51.100.9, not-an-ip")).toBe("10.0.0.1");
    expect(resolve("10.0.0.1", "1.2.3.4, garbage, 10.0.0.7")).toBe("10.0.0.7");
    expect(resolve("10.0.0.1", "1.2.3.4, , 10.0.0.7")).toBe("10.0.0.7");
    expect(resolve("10.0.0.1", "198.51.100.9:4711")).toBe("10.0.0.1");
    expect(resolve("10.0.0.1", "garbage, 198.51.100.9")).toBe("198.51.100.9");
    expect(resolve("10.0.0.1", "<script>, 198.51.100.9")).toBe("198.51.100.9");
  });

  it("supports IPv6 proxies, clients and mapped addresses", () => {
    const resolve = createClientIpResolver(["::1", "fd00::/8", "10.0.0.0/8"]);
    expect(resolve("::1", "2001:db8::42")).toBe("2001:db8::42");
    expect(resolve("::1", "2001:DB8:0::42, fd12:3456::1")).toBe("2001:db8::42");
    expect(resolve("fd00::5", "::ffff:198.51.100.9")).toBe("198.51.100.9");
    expect(resolve("::ffff:10.0.0.3", "2001:db8::1")).toBe("2001:db8::1");
    expect(resolve("2001:db8::99", "1.2.3.4")).toBe("2001:db8::99");
    expect(resolve("0:0:0:0:0:0:0:1", "198.51.100.9")).toBe("198.51.100.9");
  });

  it("rejects invalid trusted proxy entries at creation with a clear message", () => {
    for (const bad of ["", "localhost", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129", "999.1.1.1", "10.0.0.0/8/8", "1.2.3.4:80"]) {
      expect(() => createClientIpResolver([bad]), bad).toThrow(/trusted proxy entry #1/);
    }
    expect(() => createClientIpResolver(["127.0.0.1", "nope"])).toThrow(/#2 \("nope"\).*IP address or CIDR/);
    expect(() => createClientIpResolver(["10.0.0.0/8", " ::1 ", "fd00::/8", "0.0.0.0/0"])).not.toThrow();
  });
});

describe("limitKey (ASVS 6.3.1)", () => {
  it("keys IPv6 clients by their network prefix, IPv4 by the address", () => {
    expect(limitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64)).toBe("2001:db8:1:2::/64");
    expect(limitKey("2001:db8:1:2::1", 64)).toBe(limitKey("2001:db8:1:2:ffff::9", 64));
    expect(limitKey("2001:db8:1:3::1", 64)).not.toBe(limitKey("2001:db8:1:2::1", 64));
    expect(limitKey("2001:db8:1:2::1", 48)).toBe("2001:db8:1::/48");
    expect(limitKey("2001:db8:1:2::1", 56)).toBe(limitKey("2001:db8:1:ff::1", 56));
    expect(limitKey("2001:db8::1", 128)).toBe("2001:db8::1");
    expect(limitKey("203.0.113.9", 64)).toBe("203.0.113.9");
    expect(limitKey(normalizeIp("::ffff:203.0.113.9")!, 64)).toBe("203.0.113.9");
    expect(limitKey("fe80::1%eth0", 64)).toBe("fe80::/64");
  });
});
