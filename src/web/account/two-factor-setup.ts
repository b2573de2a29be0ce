/** What the account page shows while a reader sets up two-step verification. */

/** The key in an authenticator's `otpauth://` URI (its `secret` parameter), or null. */
export function keyFromTotpUri(totpURI: string): string | null {
  try {
    const url = new URL(totpURI);
    return url.protocol === "otpauth:" ? url.searchParams.get("secret") || null : null;
  } catch {
    return null;
  }
}

/**
 * A key in groups of four, the way authenticator apps ask for it to be typed:
 * `groupKey("JBSWY3DPEHPK3PXP")` gives "JBSW Y3DP EHPK 3PXP".
 */
export function groupKey(key: string, size = 4): string {
  return (key.replace(/\s/g, "").match(new RegExp(`.{1,${size}}`, "g")) ?? []).join(" ");
}

export const RECOVERY_CODES_FILE_NAME = "ai-book-recovery-codes.txt";

/** The text of the downloadable recovery-codes file: whose codes, when made, one code a line. */
export function recoveryCodesText({ codes, account, createdAt }: { codes: readonly string[]; account: string; createdAt: Date }): string {
  return [
    "AI Book recovery codes",
    `Account: ${account}`,
    `Created: ${createdAt.toISOString().slice(0, 10)}`,
    "",
    "Each code signs you in once, in place of a code from your authenticator app.",
    "Keep them somewhere safe. New codes replace all of these.",
    "",
    ...codes,
    "",
  ].join("\n");
}
