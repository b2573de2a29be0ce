import { create } from "qrcode";

/** A QR code as one SVG path: `size` is its width in modules, quiet zone included. */
export interface QrPath {
  size: number;
  d: string;
}

/**
 * The dark modules of `text`'s QR code as an SVG path, each row's runs merged, with the quiet
 * zone of four modules ISO/IEC 18004 asks for around it. Drawn here, so no image is fetched.
 *
 *   const { size, d } = qrPath("otpauth://totp/…");   // <svg viewBox={`0 0 ${size} ${size}`}><path d={d} /></svg>
 */
export function qrPath(text: string, margin = 4): QrPath {
  const { modules } = create(text, { errorCorrectionLevel: "M" });
  const n = modules.size;
  let d = "";
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; ) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      d += `M${start + margin} ${row + margin}h${col - start}v1h-${col - start}z`;
    }
  }
  return { size: n + 2 * margin, d };
}
