import { z } from "zod";

/** Reader preferences: shared by the server (validation, defaults) and the web app (forms). */
export const THEMES = ["light", "dark", "system"] as const;
/** BCP 47 tags we ship translations for; `en` first and the default. */
export const LANGUAGES = ["en", "es", "fr", "de", "pt-BR", "ur", "zh-Hans"] as const;

export const preferencesSchema = z.object({
  theme: z.enum(THEMES),
  language: z.enum(LANGUAGES),
  notifications: z.object({
    /** Security notices (password changed, new sign-in...) cannot be turned off. */
    security: z.literal(true),
    product: z.boolean(),
  }),
});

export type Preferences = z.infer<typeof preferencesSchema>;

export const DEFAULT_PREFERENCES: Preferences = {
  theme: "system",
  language: "en",
  notifications: { security: true, product: false },
};

/** PATCH body: any subset; unknown keys are refused, not ignored (ASVS 15.3.3). */
export const preferencesPatchSchema = z
  .object({
    theme: z.enum(THEMES).optional(),
    language: z.enum(LANGUAGES).optional(),
    notifications: z
      .object({
        security: z.literal(true, { message: "Security notifications cannot be turned off." }).optional(),
        product: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type PreferencesPatch = z.infer<typeof preferencesPatchSchema>;
