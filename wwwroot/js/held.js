// Interception: per-relay-listener controls, and the panel of held messages with forward / edit / drop.
import { api, post, put } from "./api.js";
import { decodeBase64, renderText } from "./format.js";

const held = new Map();
let host = null;
let notify = () => {};

/** Where the held panel renders, and how to report errors. */
export function initHeld(panel, toast) {
  host = panel;
  notify = toast;
}

export async function loadHeld() {
  try {
    held.clear();
    for (const h of await api("/api/held")) held.set(h.id, h);
    render();
  } catch (err) { notify(err.message, true); }
}

export function onHeld(h) { held.set(h.id, h); render(); }

export function onReleased(r) { held.delete(r.id); render(); }

/** The interception controls of a relay listener's card. */
export function buildInterceptControls(listenerId) {
  const form = document.createElement("form");
  form.className = "intercept needs-admin";
  form.innerHTML = `
    <label class="inline"><input type="checkbox" name="enabled"> intercept</label>
    <select name="direction" aria-label="direction"><option value="both">both</option><option value="in">in (client→upstream)</option><option value="out">out (upstream→client)</option></select>
    <input name="match" placeholder="only messages containing… (empty: all)" aria-label="match">`;
  const apply = async () => {
    const f = form.elements;
    try {
      await put(`/api/listeners/${encodeURIComponent(listenerId)}/intercept`,
        { enabled: f.enabled.checked, direction: f.direction.value, match: f.match.value || null });
    } catch (err) { notify(err.message, true); }
  };
  // Show the rule in force, unless the user got to the form first.
  let touched = false;
  form.addEventListener("input", () => { touched = true; });
  api(`/api/listeners/${encodeURIComponent(listenerId)}/intercept`).then((rule) => {
    if (touched) return;
    form.elements.enabled.checked = rule.enabled;
    form.elements.direction.value = rule.direction;
    form.elements.match.value = rule.match ?? "";
  }).catch(() => { /* the card shows the listener anyway */ });
  form.addEventListener("change", apply);
  form.addEventListener("submit", (e) => { e.preventDefault(); apply(); });
  return form;
}

function render() {
  if (!host) return;
  host.hidden = held.size === 0;
  const list = host.querySelector(".held-list");
  list.replaceChildren(...[...held.values()].sort((a, b) => a.id - b.id).map(buildItem));
}

function buildItem(h) {
  const item = document.createElement("div");
  item.className = "held " + h.direction;
  item.dataset.heldId = h.id;
  const head = document.createElement("div");
  head.className = "held-head";
  head.textContent = `#${h.id} · session ${h.sessionId} · ${h.direction === "in" ? "client → upstream" : "upstream → client"} · ${h.size} bytes`;
  const payload = document.createElement("pre");
  payload.className = "payload";
  renderText(payload, decodeBase64(h.data));
  const editor = document.createElement("textarea");
  editor.className = "held-editor";
  editor.hidden = true;
  editor.value = new TextDecoder().decode(decodeBase64(h.data));
  const actions = document.createElement("div");
  actions.className = "held-actions needs-operator";
  const button = (label, cls, onClick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = cls;
    b.addEventListener("click", onClick);
    actions.append(b);
    return b;
  };
  button("Forward", "primary held-forward", () => decide(`/api/held/${h.id}/forward`, editor.hidden ? {} : { data: editor.value }));
  const edit = button("Edit", "held-edit", () => {
    editor.hidden = !editor.hidden;
    edit.textContent = editor.hidden ? "Edit" : "Cancel edit";
    if (!editor.hidden) editor.focus();
  });
  button("Drop", "danger held-drop", () => decide(`/api/held/${h.id}/drop`, {}));
  item.append(head, payload, editor, actions);
  return item;
}

async function decide(path, body) {
  try { await post(path, body); }
  catch (err) { notify(err.message, true); }
}
