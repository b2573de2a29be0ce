/**
 * Better Auth's admin plugin ban: `banned` with an optional `banExpires`; a ban whose expiry has
 * passed no longer counts. One definition for every place that lets a user in.
 */
export function isBannedNow(
  user: { banned?: boolean | number | null; banExpires?: Date | string | number | null },
  now: number = Date.now(),
): boolean {
  if (!user.banned) return false;
  if (user.banExpires === null || user.banExpires === undefined) return true;
  return new Date(user.banExpires).getTime() > now;
}
