// Keys: j/k move through the session list, Enter opens, / filters, ? lists them, Esc leaves.
const $ = (id) => document.getElementById(id);

/** Wires the keys; ctx: {list (js/sessions.js), select}. */
export function wireKeys({ list, select }) {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.closest("input, textarea, select, [contenteditable]");
    if (e.key === "Escape") {
      $("keys-help").hidden = true;
      if (e.target === $("session-filter")) e.target.blur();
      return;
    }
    if (typing) return;
    if (e.key === "j" || e.key === "k") { e.preventDefault(); list.move(e.key === "j" ? 1 : -1); }
    else if (e.key === "Enter" && list.cursor() !== null) { e.preventDefault(); select(list.cursor()); }
    else if (e.key === "/") { e.preventDefault(); $("session-filter").focus(); }
    else if (e.key === "?") { e.preventDefault(); $("keys-help").hidden = !$("keys-help").hidden; }
  });
}
