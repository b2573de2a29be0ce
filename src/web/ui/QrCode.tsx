import { useMemo } from "react";
import { qrPath } from "./qr-path.ts";

/**
 * A QR code drawn in the page as SVG (no image to fetch, nothing for the CSP to allow): dark
 * modules on white whatever the theme, as scanners expect.
 */
export function QrCode({ text, label, className = "qr-code" }: { text: string; label: string; className?: string }) {
  const { size, d } = useMemo(() => qrPath(text), [text]);
  return (
    <svg className={className} role="img" aria-label={label} viewBox={`0 0 ${size} ${size}`} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
