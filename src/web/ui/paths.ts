/** A path on this site only (never an open redirect): "/read/x" yes, "//evil.com" or "https://…" no. */
export function safeLocalPath(value: string | null | undefined, fallback = "/"): string {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\") || /[\u0000-\u001f]/.test(value)) return fallback;
  return value;
}
