import { z } from "zod";

/** POST /api/v1/me/reauthenticate: sign in again in place, for an action that needs a recent sign-in (SESSION_NOT_FRESH). */
export const reauthenticateBody = z
  .strictObject({
    password: z.string().min(1).max(1024),
    code: z.string().trim().min(1).max(64).optional().meta({ description: "The authenticator's 6-digit code or a recovery code (accounts with a second factor)" }),
  })
  .meta({ id: "ReauthenticateRequest" });

export const reauthenticateResponse = z
  .strictObject({ freshUntil: z.string().meta({ description: "ISO time until which sensitive actions are allowed without asking again" }) })
  .meta({ id: "Reauthenticated" });

export type ReauthenticateBody = z.infer<typeof reauthenticateBody>;
