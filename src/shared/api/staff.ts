import { z } from "zod";

/** /api/v1/staff: what admins do beyond Better Auth's admin routes. */
export const staffUserParams = z.object({ id: z.string().min(1).max(100) });

export const staffReason = z.string().trim().min(1).max(500).meta({ description: "Why: the reader sees it in their security activity" });

export const passwordResetByStaffBody = z.strictObject({ reason: staffReason.optional() }).meta({ id: "StaffPasswordResetRequest" });
export const passwordResetByStaffResponse = z.strictObject({ status: z.literal("sent") }).meta({ id: "StaffPasswordResetSent" });

export const secondFactorResetBody = z.strictObject({ reason: staffReason }).meta({ id: "StaffSecondFactorReset" });
export const secondFactorResetResponse = z.strictObject({ twoFactorEnabled: z.literal(false) }).meta({ id: "StaffSecondFactorResetDone" });

/** GET /api/v1/staff/audit: security and staff events, newest first, filtered; `format=csv` exports. */
export const auditQuery = z.object({
  actor: z.string().min(1).max(100).optional().meta({ description: "Who acted (a staff member's id)" }),
  target: z.string().min(1).max(100).optional().meta({ description: "Whose account it was about" }),
  type: z.string().regex(/^[a-z_]{1,64}$/).optional(),
  from: z.coerce.number().int().nonnegative().optional().meta({ description: "Epoch ms, inclusive" }),
  to: z.coerce.number().int().nonnegative().optional().meta({ description: "Epoch ms, exclusive" }),
  before: z.string().regex(/^\d{1,16}_[A-Za-z0-9-]{1,64}$/).optional().meta({ description: "The `nextBefore` of the previous page" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  format: z.enum(["json", "csv"]).default("json"),
});

export const auditEvent = z
  .strictObject({
    id: z.string(),
    type: z.string(),
    userId: z.string().nullable(),
    actorId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
  })
  .meta({ id: "AuditEvent" });

export const auditPage = z.strictObject({ events: z.array(auditEvent), nextBefore: z.string().nullable() }).meta({ id: "AuditPage" });

/** One day's count: `day` is its UTC date (YYYY-MM-DD). */
export const dayCount = z.strictObject({ day: z.string(), count: z.number().int().nonnegative() });

/** GET /api/v1/staff/overview: the console's first page (staff). The last 30 days, day by day, oldest first. */
export const staffOverview = z
  .strictObject({
    accounts: z.strictObject({
      total: z.number().int(),
      byRole: z.strictObject({ user: z.number().int(), moderator: z.number().int(), admin: z.number().int() }),
      banned: z.number().int(),
      withSecondFactor: z.number().int(),
    }),
    activeReaders: z.number().int().meta({ description: "Readers (guests included) who asked a question in the last 30 days" }),
    signUpsPerDay: z.array(dayCount),
    questionsPerDay: z.array(dayCount),
    failedSignInsPerDay: z.array(dayCount),
    throttledSignInsPerDay: z.array(dayCount),
  })
  .meta({ id: "StaffOverview" });

/** GET /api/v1/staff/users: accounts (guests left out), searched, filtered, sorted and paged (staff). */
export const staffUsersQuery = z.object({
  q: z.string().trim().max(200).optional().meta({ description: "Part of the email address or the name, any case" }),
  role: z.enum(["user", "moderator", "admin"]).optional(),
  banned: z.enum(["true", "false"]).optional(),
  verified: z.enum(["true", "false"]).optional(),
  twoFactor: z.enum(["true", "false"]).optional(),
  sort: z.enum(["createdAt", "email", "name"]).default("createdAt"),
  order: z.enum(["asc", "desc"]).default("desc"),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const staffUserSummary = z
  .strictObject({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(["user", "moderator", "admin"]),
    emailVerified: z.boolean(),
    twoFactorEnabled: z.boolean(),
    banned: z.boolean().meta({ description: "Banned now (a ban past its expiry counts as lifted)" }),
    banReason: z.string().nullable(),
    banExpires: z.string().nullable().meta({ description: "ISO time the ban lifts itself, or null for until lifted" }),
    createdAt: z.string(),
  })
  .meta({ id: "StaffUserSummary" });

export const staffUsersPage = z
  .strictObject({ users: z.array(staffUserSummary), total: z.number().int(), page: z.number().int(), limit: z.number().int() })
  .meta({ id: "StaffUsersPage" });

/** A reader's session as staff see it: never its token. */
export const staffSession = z
  .strictObject({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    secondFactor: z.boolean().meta({ description: "Signed in with a second factor" }),
  })
  .meta({ id: "StaffSession" });

/** GET /api/v1/staff/users/{id}: one account's page (moderators: readers only). No chat contents, only their count. */
export const staffUserDetail = z
  .strictObject({
    user: staffUserSummary,
    sessions: z.array(staffSession),
    activity: z.array(auditEvent).meta({ description: "The account's latest 50 security events, newest first" }),
    chats: z.strictObject({ count: z.number().int(), questions: z.number().int() }),
    signInMethods: z.array(z.string()).meta({ description: "credential, google, github…" }),
  })
  .meta({ id: "StaffUserDetail" });

export const staffSessionParams = z.object({ id: z.string().min(1).max(100), sessionId: z.string().min(1).max(100) });

/** DELETE /api/v1/staff/users/{id}/sessions/{sessionId}: end one of a reader's sessions by its id (the token is never shown). */
export const staffRevokeSessionBody = z.strictObject({ reason: staffReason.optional() }).meta({ id: "StaffRevokeSession" });

export type StaffUsersQuery = z.input<typeof staffUsersQuery>;
export type StaffUserSummary = z.infer<typeof staffUserSummary>;
export type StaffUsersPage = z.infer<typeof staffUsersPage>;
export type StaffUserDetail = z.infer<typeof staffUserDetail>;
export type StaffSession = z.infer<typeof staffSession>;
export type StaffOverview = z.infer<typeof staffOverview>;
export type AuditEvent = z.infer<typeof auditEvent>;
export type AuditPage = z.infer<typeof auditPage>;
