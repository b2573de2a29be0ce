import { z } from "zod";

/** /api/v1/staff: what admins do beyond Better Auth's admin routes. */
export const staffUserParams = z.object({ id: z.string().min(1).max(100) });

export const staffReason = z.string().trim().min(1).max(500).meta({ description: "Why: the reader sees it in their security activity" });

export const passwordResetByStaffBody = z.strictObject({ reason: staffReason.optional() }).meta({ id: "StaffPasswordResetRequest" });
export const passwordResetByStaffResponse = z.strictObject({ status: z.literal("sent") }).meta({ id: "StaffPasswordResetSent" });

export const secondFactorResetBody = z.strictObject({ reason: staffReason }).meta({ id: "StaffSecondFactorReset" });
export const secondFactorResetResponse = z.strictObject({ twoFactorEnabled: z.literal(false) }).meta({ id: "StaffSecondFactorResetDone" });
