import { describe, expect, it } from "vitest";
import { qrPath } from "./qr-path.ts";

describe("qrPath", () => {
  it("draws the code inside a four-module quiet zone, starting with the top-left finder pattern", () => {
    // A short text fits version 1: 21 modules, 29 with the quiet zone.
    const { size, d } = qrPath("HELLO");
    expect(size).toBe(29);
    // The finder pattern's top edge: seven dark modules in a row, from (4, 4).
    expect(d.startsWith("M4 4h7v1h-7z")).toBe(true);
  });

  it("grows with the text: an authenticator URI needs a larger version", () => {
    const uri = "otpauth://totp/AI%20Book:ada.lovelace%40example.com?secret=ABCDEFGHIJKLMNOPQRSTUVWXYZ234567&issuer=AI%20Book&digits=6&period=30";
    const { size } = qrPath(uri);
    expect(size).toBeGreaterThan(29);
    expect((size - 8 - 17) % 4).toBe(0); // version v has 17 + 4v modules
  });
});
