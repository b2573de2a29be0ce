import { useEffect, useState } from "react";
import { api } from "../api/client.ts";
import type { AuthProviders } from "../../shared/api/providers.ts";
import { DEFAULT_MIN_PASSWORD_LENGTH } from "../password/policy.ts";

/**
 * What the server says about sign-in: the social providers it was configured with
 * (GET /api/v1/auth/providers) and, when it tells us, its minimum password length.
 */
export type AuthConfig = AuthProviders;

const FALLBACK: AuthConfig = { providers: [], passwordMinLength: DEFAULT_MIN_PASSWORD_LENGTH };
let cached: Promise<AuthConfig> | null = null;
let value: AuthConfig | null = null;

export function loadAuthConfig(): Promise<AuthConfig> {
  cached ??= api<AuthProviders>("/auth/providers", { reauth: false })
    .then((body) => {
      const providers = Array.isArray(body.providers) ? body.providers.filter((p): p is string => typeof p === "string") : [];
      const min = typeof body.passwordMinLength === "number" && body.passwordMinLength >= 8 ? body.passwordMinLength : DEFAULT_MIN_PASSWORD_LENGTH;
      return (value = { providers, passwordMinLength: min });
    })
    .catch(() => {
      cached = null; // try again next time
      return FALLBACK;
    });
  return cached;
}

export function useAuthConfig(): AuthConfig {
  const [config, setConfig] = useState<AuthConfig>(value ?? FALLBACK);
  useEffect(() => {
    let live = true;
    void loadAuthConfig().then((c) => live && setConfig(c));
    return () => {
      live = false;
    };
  }, []);
  return config;
}

const PROVIDER_NAMES: Record<string, string> = { github: "GitHub", google: "Google", gitlab: "GitLab", microsoft: "Microsoft", apple: "Apple", discord: "Discord" };

export function providerName(id: string): string {
  return PROVIDER_NAMES[id] ?? id.replace(/[-_]+/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
}
