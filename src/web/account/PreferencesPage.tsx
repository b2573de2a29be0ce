import { useEffect, useState } from "react";
import { fetchPreferences, savePreferences } from "./account-api.ts";
import { errorMessage } from "../api/error-messages.ts";
import { LANGUAGES, type Preferences, type PreferencesPatch } from "../../shared/preferences.ts";
import { applyTheme, storedTheme, type ThemePreference } from "../theme/theme.ts";
import { ErrorMessage, SkeletonLines, StatusMessage } from "../ui/bits.tsx";
import { AccountNav } from "./AccountNav.tsx";
import { RequireAuth } from "./RequireAuth.tsx";

/** `/account/preferences`: theme, language, notifications — applied at once, saved as they change. */
export default function PreferencesPage() {
  return <RequireAuth title="Preferences">{(user) => <PreferencesForm key={user.id} />}</RequireAuth>;
}

const THEME_OPTIONS: { value: ThemePreference; label: string; hint: string }[] = [
  { value: "light", label: "Light", hint: "Dark text on a light background." },
  { value: "dark", label: "Dark", hint: "Light text on a dark background." },
  { value: "system", label: "System", hint: "Follows your device's setting." },
];

function languageName(tag: string): string {
  try {
    const native = new Intl.DisplayNames([tag], { type: "language" }).of(tag);
    const english = new Intl.DisplayNames(["en"], { type: "language" }).of(tag);
    if (native && english && native !== english) return `${native} (${english})`;
    return english ?? native ?? tag;
  } catch {
    return tag;
  }
}

function PreferencesForm() {
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setLoadError(null);
    fetchPreferences().then(
      (p) => {
        if (!live) return;
        setPrefs(p);
        if (p.theme !== storedTheme()) applyTheme(p.theme);
      },
      (e: unknown) => live && setLoadError(e),
    );
    return () => {
      live = false;
    };
  }, [attempt]);

  async function save(patch: PreferencesPatch, what: string) {
    const before = prefs;
    setPrefs((p) => (p ? { ...p, ...patch, notifications: { ...p.notifications, ...patch.notifications, security: true } } : p));
    if (patch.theme) applyTheme(patch.theme);
    setStatus(null);
    setError(null);
    try {
      const saved = await savePreferences(patch);
      setPrefs(saved);
      setStatus(`${what} saved.`);
    } catch (e) {
      setPrefs(before);
      if (patch.theme && before) applyTheme(before.theme);
      setError(`${what} not saved. ${errorMessage(e)}`);
    }
  }

  return (
    <div className="page-content account">
      <h1>Preferences</h1>
      <AccountNav />
      {prefs === null && !loadError && <SkeletonLines lines={6} label="Loading your preferences…" />}
      {loadError !== null && (
        <div className="notice notice-error" role="alert">
          {errorMessage(loadError)}{" "}
          <button type="button" className="link-button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </div>
      )}
      {prefs && (
        <form className="card preferences" onSubmit={(e) => e.preventDefault()}>
          <fieldset>
            <legend>Theme</legend>
            <div className="radio-group">
              {THEME_OPTIONS.map((o) => (
                <div className="radio" key={o.value}>
                  <input
                    type="radio"
                    id={`theme-${o.value}`}
                    name="theme"
                    value={o.value}
                    checked={prefs.theme === o.value}
                    aria-describedby={`theme-${o.value}-hint`}
                    onChange={() => void save({ theme: o.value }, "Theme")}
                  />
                  <label htmlFor={`theme-${o.value}`}>{o.label}</label>
                  <span id={`theme-${o.value}-hint`} className="field-hint">
                    {o.hint}
                  </span>
                </div>
              ))}
            </div>
          </fieldset>

          <div className="field">
            <label htmlFor="language">Language</label>
            <p id="language-hint" className="field-hint">
              Saved with your account and used as translations become available.
            </p>
            <select
              id="language"
              aria-describedby="language-hint"
              value={prefs.language}
              onChange={(e) => void save({ language: e.target.value as Preferences["language"] }, "Language")}
            >
              {LANGUAGES.map((tag) => (
                <option key={tag} value={tag} lang={tag}>
                  {languageName(tag)}
                </option>
              ))}
            </select>
          </div>

          <fieldset>
            <legend>Email notifications</legend>
            <div className="checkbox">
              <input id="notify-security" type="checkbox" checked disabled aria-describedby="notify-security-hint" />
              <label htmlFor="notify-security">Security notices</label>
              <span id="notify-security-hint" className="field-hint">
                Always on: we tell you when your password or email changes, so you can act if it wasn't you.
              </span>
            </div>
            <div className="checkbox">
              <input
                id="notify-product"
                type="checkbox"
                checked={prefs.notifications.product}
                aria-describedby="notify-product-hint"
                onChange={(e) => void save({ notifications: { product: e.target.checked } }, "Notification choice")}
              />
              <label htmlFor="notify-product">Product news</label>
              <span id="notify-product-hint" className="field-hint">
                Occasional news about the book and new features.
              </span>
            </div>
          </fieldset>
          <ErrorMessage>{error}</ErrorMessage>
          <StatusMessage>{status}</StatusMessage>
        </form>
      )}
    </div>
  );
}
