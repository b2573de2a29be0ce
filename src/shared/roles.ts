/**
 * The roles, lowest to highest. A staff member acts only on accounts ranked below them
 * (moderators on readers), admins on anyone but themselves (auth/plugins/staff.ts).
 */
export const ROLES = ["user", "moderator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === "string" && (ROLES as readonly string[]).includes(value);

/** The rank of a stored role; an unknown one ranks as a reader. */
export const rankOf = (role: string | null | undefined): number => Math.max(0, ROLES.indexOf((role ?? "user") as Role));

export const isStaff = (role: string | null | undefined): boolean => rankOf(role) > 0;
