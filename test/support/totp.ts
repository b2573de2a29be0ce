/**
 * RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s), computed here from the `otpauth://` URI an
 * authenticator app would scan: the tests check the server against the standard, not against
 * the library the server uses.
 */
import { createHmac } from "node:crypto";

function base32(text: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${ch}`);
    bits += i.toString(2).padStart(5, "0");
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code an authenticator shows for `totpURI` at `at` (epoch ms), `offset` steps away. */
export function totpCode(totpURI: string, at = Date.now(), offset = 0): string {
  const url = new URL(totpURI);
  const secret = base32(url.searchParams.get("secret") ?? "");
  const period = Number(url.searchParams.get("period") ?? 30);
  const digits = Number(url.searchParams.get("digits") ?? 6);
  const counter = Math.floor(at / 1000 / period) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", secret).update(msg).digest();
  const o = mac[mac.length - 1]! & 0xf;
  const value = (mac.readUInt32BE(o) & 0x7fffffff) % 10 ** digits;
  return String(value).padStart(digits, "0");
}
