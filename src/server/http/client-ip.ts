/**
 * Client IP resolution behind (optional) trusted reverse proxies.
 *
 * The TCP peer address is the only thing a client cannot forge. `X-Forwarded-For`
 * is honoured only when that peer is a configured trusted proxy, and then only
 * as far as the chain of trusted proxies reaches (ASVS 15.3.4): the list is
 * walked from the right (the hop closest to us) and the first address that is
 * not itself a trusted proxy is the client.
 */
import { BlockList, isIP } from "node:net";

export interface ClientIpResolver {
  (socketAddress: string | undefined, xForwardedFor: string | undefined): string;
}

const MAPPED_V4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * Canonical text form of an IP address, or `null` when `raw` is not an IP.
 * IPv4-mapped IPv6 (`::ffff:1.2.3.4`, in any spelling) becomes plain IPv4;
 * IPv6 is lower-cased and compressed (so one client maps to one string).
 * An IPv6 zone id (`fe80::1%eth0`) is kept.
 */
export function normalizeIp(raw: string): string | null {
  const value = raw.trim();
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return null;
  const zoneAt = value.indexOf("%");
  const address = zoneAt === -1 ? value : value.slice(0, zoneAt);
  const zone = zoneAt === -1 ? "" : value.slice(zoneAt);
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return value.toLowerCase();
  }
  const mapped = MAPPED_V4.exec(canonical);
  if (mapped && !zone) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return canonical + zone;
}

function familyOf(ip: string): "ipv4" | "ipv6" {
  return isIP(ip) === 4 ? "ipv4" : "ipv6";
}

function buildTrustList(trustedProxies: string[]): BlockList {
  const list = new BlockList();
  for (const [index, original] of trustedProxies.entries()) {
    const entry = typeof original === "string" ? original.trim() : "";
    const describe = `trusted proxy entry #${index + 1} (${JSON.stringify(original)})`;
    if (!entry) throw new Error(`Invalid ${describe}: empty value; expected an IP address or CIDR such as 10.0.0.0/8 or fd00::/8`);
    const slash = entry.indexOf("/");
    if (slash === -1) {
      const ip = normalizeIp(entry);
      if (ip === null || ip.includes("%")) {
        throw new Error(`Invalid ${describe}: not an IP address; expected an IP address or CIDR such as 10.0.0.0/8 or fd00::/8`);
      }
      list.addAddress(ip, familyOf(ip));
      continue;
    }
    const base = normalizeIp(entry.slice(0, slash));
    const prefixText = entry.slice(slash + 1);
    if (base === null || base.includes("%")) {
      throw new Error(`Invalid ${describe}: "${entry.slice(0, slash)}" is not an IP address`);
    }
    const family = familyOf(base);
    const maxPrefix = family === "ipv4" ? 32 : 128;
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new Error(`Invalid ${describe}: prefix length must be an integer from 0 to ${maxPrefix}`);
    }
    list.addSubnet(base, Number(prefixText), family);
  }
  return list;
}

/**
 * Build a resolver. Throws (at creation) on any invalid `trustedProxies` entry,
 * so configuration validation can surface a clear message.
 */
export function createClientIpResolver(trustedProxies: string[]): ClientIpResolver {
  if (!Array.isArray(trustedProxies)) throw new Error("trustedProxies must be an array of IP addresses or CIDRs");
  const trustList = buildTrustList(trustedProxies);
  const noProxies = trustedProxies.length === 0;

  const check = (ip: string): boolean => {
    try {
      return trustList.check(ip.split("%")[0]!, familyOf(ip));
    } catch {
      return false;
    }
  };
  // The list is fixed, so the answer per address is too: remember it (BlockList.check builds a
  // SocketAddress each call, ~3 % of a small request). Bounded: cleared when full.
  const known = new Map<string, boolean>();
  const isTrusted = (ip: string): boolean => {
    if (noProxies) return false;
    let trusted = known.get(ip);
    if (trusted === undefined) {
      trusted = check(ip);
      if (known.size >= 10_000) known.clear();
      known.set(ip, trusted);
    }
    return trusted;
  };

  return (socketAddress, xForwardedFor) => {
    const peer = socketAddress === undefined ? null : normalizeIp(socketAddress);
    if (peer === null) return socketAddress?.trim() || "unknown";
    if (!xForwardedFor || !isTrusted(peer)) return peer;

    let current = peer;
    const hops = xForwardedFor.split(",");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeIp(hops[i]!);
      // Malformed hop: everything to its left is untrustworthy; the last good
      // hop (a trusted proxy that handed us this garbage) is the best we know.
      if (hop === null) return current;
      current = hop;
      if (!isTrusted(hop)) return hop;
    }
    // Every hop is a trusted proxy: the leftmost one is the origin.
    return current;
  };
}

/**
 * The key per-IP limits count under (ASVS 6.3.1): an IPv4 address as it is, an IPv6 address by
 * its network prefix (`/64` by default, `IPV6_RATE_LIMIT_PREFIX`). One IPv6 subscriber, host or VM
 * is usually given a whole /64, so counting per address would give one client 2^64 counters.
 * `ip` is already normalised (`normalizeIp`: IPv4-mapped IPv6 is IPv4 by then).
 *
 *   limitKey("2001:db8:1:2:aaaa::1", 64)  // "2001:db8:1:2::/64"
 */
export function limitKey(ip: string, ipv6Prefix: number): string {
  if (isIP(ip) !== 6 || ipv6Prefix >= 128) return ip;
  const groups = expandIpv6(ip.split("%")[0]!);
  if (!groups) return ip;
  const kept: number[] = [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, ipv6Prefix - i * 16));
    kept.push(bits === 0 ? 0 : groups[i]! & ((0xffff << (16 - bits)) & 0xffff));
  }
  const text = normalizeIp(kept.map((g) => g.toString(16)).join(":")) ?? kept.join(":");
  return `${text}/${ipv6Prefix}`;
}

/** The eight 16-bit groups of an IPv6 address (with "::" and a trailing dotted IPv4 expanded). */
function expandIpv6(address: string): number[] | null {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail, ...rest] = text.split("::");
  if (rest.length) return null;
  const parse = (part: string | undefined) => (part ? part.split(":").map((h) => parseInt(h, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  const groups = [...left, ...new Array<number>(Math.max(0, missing)).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}
