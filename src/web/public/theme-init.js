/*
 * Runs before first paint (loaded synchronously in <head>; the CSP allows no inline script):
 * applies the reader's theme from localStorage so the page never flashes the wrong colours.
 * Keep in step with src/web/theme/theme.ts.
 */
(function () {
  var pref = "system";
  try {
    var stored = localStorage.getItem("aibook.theme");
    if (stored === "light" || stored === "dark" || stored === "system") pref = stored;
  } catch (e) {
    /* storage blocked: follow the system */
  }
  var dark = pref === "dark" || (pref === "system" && window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  var root = document.documentElement;
  root.dataset.theme = dark ? "dark" : "light";
  root.dataset.themePreference = pref;
  root.style.colorScheme = dark ? "dark" : "light";
})();
