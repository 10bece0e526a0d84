// Light or dark: the system's choice (prefers-color-scheme) until the top bar's button picks one; the pick
// sticks (localStorage) and cycles system → dark → light → system. The colours are CSS variables (app.css).
const KEY = "gateway.theme";
const NEXT = { system: "dark", dark: "light", light: "system" };

function apply(button, theme) {
  if (theme === "dark" || theme === "light") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  button.dataset.theme = theme;
  button.title = theme === "system" ? "Theme: as the system (click for dark)" : `Theme: ${theme} (click for ${NEXT[theme]})`;
}

/** Applies the stored choice and wires the button. */
export function initTheme(button) {
  const stored = localStorage.getItem(KEY);
  apply(button, stored === "dark" || stored === "light" ? stored : "system");
  button.addEventListener("click", () => {
    const theme = NEXT[button.dataset.theme] ?? "dark";
    if (theme === "system") localStorage.removeItem(KEY); else localStorage.setItem(KEY, theme);
    apply(button, theme);
  });
}
