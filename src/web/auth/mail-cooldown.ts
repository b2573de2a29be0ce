/**
 * The server sends at most one verification mail a minute per address. We show that wait as a
 * countdown, remembered for the tab (sessionStorage) so a reload does not pretend it is over.
 */
export const MAIL_COOLDOWN_SECONDS = 60;
const key = (email: string) => `aibook.mail-cooldown.${email.trim().toLowerCase()}`;

export function startMailCooldown(email: string, seconds = MAIL_COOLDOWN_SECONDS): number {
  const until = Date.now() + seconds * 1000;
  try {
    sessionStorage.setItem(key(email), String(until));
  } catch {
    /* storage blocked: the countdown still runs on this page */
  }
  return until;
}

export function mailCooldownUntil(email: string): number {
  try {
    const v = Number(sessionStorage.getItem(key(email)));
    return Number.isFinite(v) && v > Date.now() ? v : 0;
  } catch {
    return 0;
  }
}
