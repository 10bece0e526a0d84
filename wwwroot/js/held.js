// Interception: per-relay-listener controls, and the panel of held messages with forward / edit / drop.
// Editing is lossless: text only when the bytes are valid UTF-8, hex and base64 always; a message left
// as it was is forwarded unchanged (the gateway's own bytes, not the browser's copy).
import { api, post, put } from "./api.js";
import { bytes, decodeBase64, encodeBase64, parseBase64, parseHex, renderText, strictUtf8, toHex } from "./format.js";

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
  // An item being edited is kept as it is: a re-render must not throw the user's edit away.
  const editing = new Map([...list.querySelectorAll(".held.editing")].map((el) => [Number(el.dataset.heldId), el]));
  list.replaceChildren(...[...held.values()].sort((a, b) => a.id - b.id).map((h) => editing.get(h.id) ?? buildItem(h)));
}

const encoders = {
  utf8: (data) => strictUtf8(data),
  hex: (data) => toHex(data),
  base64: (data) => encodeBase64(data),
};
const decoders = {
  utf8: (text) => new TextEncoder().encode(text),
  hex: parseHex,
  base64: parseBase64,
};

function buildItem(h) {
  const item = document.createElement("div");
  item.className = "held " + h.direction;
  item.dataset.heldId = h.id;
  const head = document.createElement("div");
  head.className = "held-head";
  head.textContent = `#${h.id} · session ${h.sessionId} · ${h.direction === "in" ? "client → upstream" : "upstream → client"} · ${h.size} bytes`
    + (h.truncated ? ` · preview of the first ${bytes(decodeBase64(h.data).length)}` : "");
  const payload = document.createElement("pre");
  payload.className = "payload";
  renderText(payload, decodeBase64(h.data));

  const editorBar = document.createElement("div");
  editorBar.className = "held-editor-bar";
  editorBar.hidden = true;
  const mode = document.createElement("select");
  mode.className = "held-mode";
  mode.setAttribute("aria-label", "edit as");
  mode.innerHTML = `<option value="utf8">text (UTF-8)</option><option value="hex">hex</option><option value="base64">base64</option>`;
  const note = document.createElement("span");
  note.className = "held-note";
  editorBar.append("edit as ", mode, note);
  const editor = document.createElement("textarea");
  editor.className = "held-editor";
  editor.hidden = true;
  editor.spellcheck = false;

  // The whole message, as the gateway holds it, and what the editor started from.
  let original = null;
  let shown = "";
  let current = "utf8";
  const show = (data, as) => {
    shown = encoders[as](data);
    editor.value = shown;
    mode.value = current = as;
  };
  mode.addEventListener("change", () => {
    const data = decoders[current](editor.value);
    const text = data && encoders[mode.value](data);
    if (data === null || text === null) {
      notify(data === null ? `The editor does not hold valid ${current}: fix it before switching.` : "These bytes are not valid UTF-8: edit them as hex or base64.", true);
      mode.value = current;
      return;
    }
    const untouched = editor.value === shown;
    show(data, mode.value);
    if (!untouched) shown = null; // an edit stays an edit in any encoding
  });

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
  button("Forward", "primary held-forward", () => {
    if (editor.hidden || editor.value === shown) {
      decide(`/api/held/${h.id}/forward`, {}); // as held, byte for byte
      return;
    }
    if (decoders[current](editor.value) === null) {
      notify(`The editor does not hold valid ${current}.`, true);
      return;
    }
    decide(`/api/held/${h.id}/forward`, { data: editor.value, encoding: current });
  });
  const edit = button("Edit", "held-edit", async () => {
    if (!editor.hidden) {
      editor.hidden = editorBar.hidden = true;
      item.classList.remove("editing");
      edit.textContent = "Edit";
      return;
    }
    try {
      original ??= decodeBase64((h.truncated ? await api(`/api/held/${h.id}`) : h).data);
    } catch (err) { notify(err.message, true); return; }
    const text = strictUtf8(original) !== null;
    mode.querySelector("option[value=utf8]").disabled = !text;
    note.textContent = text ? "" : " · not valid UTF-8: text editing is off so that no byte is lost";
    show(original, text ? "utf8" : "hex");
    editor.hidden = editorBar.hidden = false;
    item.classList.add("editing");
    edit.textContent = "Cancel edit";
    editor.focus();
  });
  button("Drop", "danger held-drop", () => decide(`/api/held/${h.id}/drop`, {}));
  item.append(head, payload, editorBar, editor, actions);
  return item;
}

async function decide(path, body) {
  try { await post(path, body); }
  catch (err) { notify(err.message, true); }
}
