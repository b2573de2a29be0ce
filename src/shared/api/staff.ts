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
