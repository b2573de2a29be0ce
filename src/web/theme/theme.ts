import type { Preferences } from "../../shared/preferences.ts";

/** The reader's theme: stored in localStorage (read before first paint by public/theme-init.js). */
export type ThemePreference = Preferences["theme"];

const STORAGE_KEY = "aibook.theme";
const DARK_QUERY = "(prefers-color-scheme: dark)";

const isTheme = (v: unknown): v is ThemePreference => v === "light" || v === "dark" || v === "system";

export function storedTheme(): ThemePreference {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isTheme(v) ? v : "system";
  } catch {
    return "system";
  }
}

function systemIsDark(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia(DARK_QUERY).matches;
}

/** Apply at once (document attributes) and remember locally. */
export function applyTheme(pref: ThemePreference, { persist = true } = {}): void {
  const dark = pref === "dark" || (pref === "system" && systemIsDark());
  const root = document.documentElement;
  root.dataset.theme = dark ? "dark" : "light";
  root.dataset.themePreference = pref;
  root.style.colorScheme = dark ? "dark" : "light";
  if (!persist) return;
  try {
    localStorage.setItem(STORAGE_KEY, pref);
  } catch {
    /* private mode: the theme still applies for this page */
  }
}

/**
 * Follow the system while the preference is "system", and follow other tabs when they change it.
 * Returns the cleanup.
 */
export function watchTheme(): () => void {
  const media = typeof window.matchMedia === "function" ? window.matchMedia(DARK_QUERY) : null;
  const onSystem = () => {
    if (storedTheme() === "system") applyTheme("system", { persist: false });
  };
  const onStorage = (e: StorageEvent) => {
    if (e.key === STORAGE_KEY) applyTheme(storedTheme(), { persist: false });
  };
  media?.addEventListener("change", onSystem);
  window.addEventListener("storage", onStorage);
  return () => {
    media?.removeEventListener("change", onSystem);
    window.removeEventListener("storage", onStorage);
  };
}
