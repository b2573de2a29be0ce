import { z } from "zod";
import { preferencesPatchSchema, preferencesSchema } from "../preferences.ts";
import { isoTime } from "./errors.ts";
import { ROLES } from "../roles.ts";

/** /api/v1/me: the caller's own profile, preferences and security activity. */
export { ROLES } from "../roles.ts";

export const preferences = preferencesSchema.meta({ id: "Preferences" });
export const preferencesPatch = preferencesPatchSchema.meta({ id: "PreferencesPatch" });

export const meSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    email: z.email(),
    emailVerified: z.boolean(),
    image: z.string().nullable(),
    role: z.enum(ROLES),
    createdAt: isoTime,
    isAnonymous: z.boolean().meta({ description: "A guest (Better Auth's anonymous plugin): can chat, has no email or password" }),
    preferences,
    authenticatedVia: z.enum(["session", "bearer"]),
  })
  .meta({ id: "User" });

export const securityEventsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .meta({ description: "Page size. A page runs longer only when more events than this share one millisecond." }),
  before: z.coerce.number().int().positive().optional().meta({ description: "Epoch ms cursor: nextBefore of the previous page" }),
});

export const securityEventSchema = z
  .strictObject({
    id: z.string(),
    type: z.string().meta({ example: "sign_in" }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    detail: z.unknown().meta({ description: "Facts of this kind of event, or null" }),
    createdAt: isoTime,
  })
  .meta({ id: "SecurityEvent" });

export const securityEventsPageSchema = z
  .strictObject({
    events: z.array(securityEventSchema),
    nextBefore: z.number().int().nullable().meta({ description: "Pass as `before` for the next page; null on the last" }),
  })
  .meta({ id: "SecurityEventsPage" });

export type Me = z.infer<typeof meSchema>;
export type SecurityEvent = z.infer<typeof securityEventSchema>;
export type SecurityEventsPage = z.infer<typeof securityEventsPageSchema>;

/** A device trusted to skip the second factor for 30 days ("trust this device" at the code step). */
export const trustedDeviceSchema = z
  .strictObject({
    id: z.string(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    sessionId: z.string().nullable().meta({ description: "The session in which the code was entered (it may have ended since)" }),
    trustedAt: isoTime,
    lastUsedAt: isoTime.meta({ description: "Its last sign-in that skipped the code (or when it was trusted)" }),
    expiresAt: isoTime,
    current: z.boolean().meta({ description: "This request came from this device" }),
  })
  .meta({ id: "TrustedDevice" });

export const trustedDevicesSchema = z.strictObject({ devices: z.array(trustedDeviceSchema) }).meta({ id: "TrustedDevices" });

export const trustedDeviceParams = z.object({ id: z.string().meta({ description: "A trusted device's id" }) });

export type TrustedDevice = z.infer<typeof trustedDeviceSchema>;
