// Who this dashboard is: GET /api/me. Asks for a key when the API says 401, and hides what the key's
// role may not use (body[data-role]; elements marked .needs-operator / .needs-admin).
import { api, apiKey, onUnauthorized, setApiKey } from "./api.js";

const $ = (id) => document.getElementById(id);

export async function whoAmI() {
  onUnauthorized(askForKey);
  let me;
  try {
    me = await api("/api/me");
  } catch {
    // 401: the key dialog is open, and submitting it reloads the page. Anything else (the gateway is
    // restarting): go on; the API still refuses what the key may not do, and the status pill tells.
    if ($("key-dialog").open) return new Promise(() => {});
    return null;
  }
  document.body.dataset.role = me.role;
  const badge = $("auth");
  badge.hidden = false;
  badge.className = "auth " + (me.open ? "open" : me.role);
  badge.textContent = me.open ? "open: no API keys" : `${me.name} · ${me.role}`;
  badge.title = me.open
    ? "No API keys are configured, so everything is allowed. The gateway allows that only on a loopback address."
    : `Key '${me.name}' with role ${me.role}. Click to forget it.`;
  if (!me.open) badge.onclick = () => { setApiKey(null); location.reload(); };
  return me;
}

function askForKey(detail) {
  const dialog = $("key-dialog");
  if (dialog.open) return;
  $("key-error").textContent = apiKey() ? detail : "";
  $("key-input").value = "";
  dialog.showModal();
}

export function wireKeyDialog() {
  $("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setApiKey($("key-input").value.trim());
    location.reload();
  });
}
