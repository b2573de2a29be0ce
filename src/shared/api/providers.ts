import { z } from "zod";

/** GET /api/v1/auth/providers: what the sign-in forms may offer on this server. */
export const authProvidersSchema = z
  .strictObject({
    providers: z.array(z.string()).meta({ description: "Social sign-in providers configured here, e.g. github" }),
    passwordMinLength: z.number().int().min(8).meta({ description: "The shortest password the server accepts" }),
  })
  .meta({ id: "AuthProviders" });

export type AuthProviders = z.infer<typeof authProvidersSchema>;
