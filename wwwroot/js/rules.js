// The rules panel of a listener's card: the rules in order with their hit counts, enable/disable,
// reorder, edit and remove, and a form to add one. Changes go through PUT (the whole ordered list) so
// that the order on screen is the order the gateway evaluates.
import { api, post, put } from "./api.js";

const RELAY_ONLY = ["replace", "drop", "hold", "fault"];
const ACTIONS = ["reply", "tag", "close", "replace", "drop", "hold", "fault"];
const MATCHES = ["text", "regex", "hex", "prefixHex"];

/** Text typed with escapes (\r \n \t \0 \\) as the characters they stand for, and back. */
export const unescapeText = (s) => s.replace(/\\([rnt0\\])/g, (_, c) => ({ r: "\r", n: "\n", t: "\t", 0: "\0", "\\": "\\" })[c]);
export const escapeText = (s) => s.replace(/[\\\r\n\t\0]/g, (c) => ({ "\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\\": "\\\\" })[c]);

/** Builds the panel; `relay` decides which actions are offered (a plain listener forwards nothing). */
export function buildRulePanel(listenerId, relay, toast) {
  const panel = document.createElement("details");
  panel.className = "rules needs-operator";
  const summary = document.createElement("summary");
  summary.textContent = "Rules";
  const list = document.createElement("ol");
  list.className = "rule-list";
  const form = document.createElement("form");
  form.className = "rule-form";
  const actions = ACTIONS.filter((a) => relay || !RELAY_ONLY.includes(a));
  form.innerHTML = `
    <input name="name" placeholder="name (optional)" aria-label="rule name">
    <select name="direction" aria-label="direction"><option value="both">both</option><option value="in">in</option>${relay ? `<option value="out">out</option>` : ""}</select>
    <select name="matchKind" aria-label="match kind">${MATCHES.map((m) => `<option>${m}</option>`).join("")}</select>
    <input name="match" placeholder="match (empty: every message)" aria-label="match">
    <select name="action" aria-label="action">${actions.map((a) => `<option>${a}</option>`).join("")}</select>
    <input name="pattern" placeholder="replace: regex" aria-label="replace pattern">
    <textarea name="data" rows="1" placeholder="reply: data (\\r \\n \\t escapes)" aria-label="action data"></textarea>
    <select name="encoding" aria-label="reply encoding"><option value="utf8">text</option><option value="hex">hex</option><option value="base64">base64</option></select>
    <input name="delayMs" type="number" min="0" placeholder="delay ms" aria-label="reply delay in ms">
    <label class="inline" data-for="forward"><input type="checkbox" name="forward"> forward too</label>
    <label class="inline" data-for="abort"><input type="checkbox" name="abort"> reset</label>
    <label class="inline"><input type="checkbox" name="continue"> continue</label>
    <button type="submit" class="primary">Add rule</button>
    <button type="button" class="rule-cancel" hidden>Cancel</button>`;
  const base = `/api/listeners/${encodeURIComponent(listenerId)}/rules`;
  const f = form.elements;
  let rules = [];
  let editing = null; // id of the rule the form edits, or null when it adds
  const fit = () => {
    const a = f.action.value;
    f.pattern.hidden = a !== "replace";
    f.data.hidden = !["reply", "tag", "replace", "fault"].includes(a);
    f.data.placeholder = { reply: "reply: data (\\r \\n \\t escapes)", tag: "tag name", replace: "replace with", fault: "{\"type\":\"latency\",\"ms\":300}" }[a] ?? "";
    f.encoding.hidden = f.delayMs.hidden = a !== "reply";
    form.querySelector("[data-for=forward]").hidden = !(relay && a === "reply");
    form.querySelector("[data-for=abort]").hidden = a !== "close";
  };
  const specOf = () => {
    const a = f.action.value;
    const action = { type: a };
    const data = f.data.value;
    if (a === "reply") Object.assign(action, {
      data: f.encoding.value === "utf8" ? unescapeText(data) : data, encoding: f.encoding.value,
      delayMs: f.delayMs.value === "" ? null : Number(f.delayMs.value), forward: f.forward.checked });
    if (a === "tag") action.name = data;
    if (a === "replace") Object.assign(action, { regex: f.pattern.value, with: unescapeText(data) });
    if (a === "fault") action.fault = JSON.parse(data || "{}");
    if (a === "close") action.abort = f.abort.checked;
    const match = f.match.value ? { [f.matchKind.value]: f.matchKind.value === "text" ? unescapeText(f.match.value) : f.match.value } : {};
    return { name: f.name.value || null, direction: f.direction.value, match, action, continue: f.continue.checked };
  };
  const fill = (r) => {
    const kind = MATCHES.find((m) => r.match?.[m]) ?? "text";
    const a = r.action;
    f.name.value = r.name ?? ""; f.direction.value = r.direction; f.matchKind.value = kind;
    f.match.value = r.match?.[kind] ? (kind === "text" ? escapeText(r.match[kind]) : r.match[kind]) : "";
    f.action.value = a.type; f.pattern.value = a.regex ?? "";
    f.data.value = a.type === "reply" ? (a.encoding && a.encoding !== "utf8" ? a.data : escapeText(a.data ?? ""))
      : a.type === "tag" ? a.name : a.type === "replace" ? escapeText(a.with ?? "") : a.type === "fault" ? JSON.stringify(a.fault) : "";
    f.encoding.value = a.encoding ?? "utf8"; f.delayMs.value = a.delayMs ?? ""; f.forward.checked = !!a.forward; f.abort.checked = !!a.abort;
    f.continue.checked = r.continue;
    fit();
  };
  const reset = () => {
    editing = null; form.reset(); fit();
    form.querySelector("button[type=submit]").textContent = "Add rule";
    form.querySelector(".rule-cancel").hidden = true;
  };
  const asSpec = (r) => ({ id: r.id, name: r.name, enabled: r.enabled || !!r.disabledReason, direction: r.direction, match: r.match, action: r.action, continue: r.continue });
  const replaceAll = async (specs) => {
    try { rules = await put(base, specs); render(); }
    catch (err) { toast(err.message, true); await refresh(); }
  };
  const refresh = async () => {
    try { rules = await api(base); render(); }
    catch (err) { toast(err.message, true); }
  };
  const describe = (r) => {
    const m = MATCHES.filter((k) => r.match?.[k]).map((k) => `${k} ${k === "text" ? `"${escapeText(r.match[k])}"` : r.match[k]}`).join(" + ") || "every message";
    const a = r.action;
    const detail = a.type === "reply" ? ` "${a.encoding && a.encoding !== "utf8" ? a.data : escapeText(a.data ?? "")}"${a.delayMs ? ` after ${a.delayMs} ms` : ""}${a.forward ? " (+forward)" : ""}`
      : a.type === "tag" ? ` ${a.name}` : a.type === "replace" ? ` ${a.regex ?? a.hex} → "${escapeText(a.with ?? "")}"`
      : a.type === "fault" ? ` ${a.fault?.type}` : a.type === "close" && a.abort ? " (reset)" : "";
    return `${r.direction} · ${m} → ${a.type}${detail}${r.continue ? " · continue" : ""}`;
  };
  const render = () => {
    summary.textContent = rules.length ? `Rules (${rules.length})` : "Rules";
    list.replaceChildren(...rules.map((r, i) => {
      const item = document.createElement("li");
      item.className = "rule" + (r.enabled ? "" : " off");
      item.dataset.ruleId = r.id;
      const on = document.createElement("input");
      on.type = "checkbox"; on.checked = r.enabled; on.title = r.disabledReason ?? "enabled"; on.setAttribute("aria-label", `enable ${r.id}`);
      on.addEventListener("change", () => replaceAll(rules.map((x) => x.id === r.id ? { ...asSpec(x), enabled: on.checked } : asSpec(x))));
      const text = document.createElement("span");
      text.className = "rule-text";
      text.textContent = `${r.id}${r.name ? ` (${r.name})` : ""}: ${describe(r)}`;
      const hits = document.createElement("span");
      hits.className = "rule-hits";
      hits.textContent = `${r.hits} hit${r.hits === 1 ? "" : "s"}` + (r.disabledReason ? ` · off: ${r.disabledReason}` : "");
      const move = (delta) => {
        const order = rules.map(asSpec);
        const [moved] = order.splice(i, 1);
        order.splice(i + delta, 0, moved);
        replaceAll(order);
      };
      const button = (label, title, onClick, disabled = false) => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = label; b.title = title; b.disabled = disabled;
        b.addEventListener("click", onClick);
        return b;
      };
      item.append(on, " ", text, " ", hits, " ",
        button("↑", "evaluate earlier", () => move(-1), i === 0),
        button("↓", "evaluate later", () => move(1), i === rules.length - 1),
        button("✎", "edit", () => {
          editing = r.id; fill(r);
          form.querySelector("button[type=submit]").textContent = `Save ${r.id}`;
          form.querySelector(".rule-cancel").hidden = false;
        }),
        button("✕", "remove", async () => {
          try { await api(`${base}/${encodeURIComponent(r.id)}`, { method: "DELETE" }); await refresh(); }
          catch (err) { toast(err.message, true); }
        }));
      return item;
    }));
  };
  f.action.addEventListener("change", fit);
  form.querySelector(".rule-cancel").addEventListener("click", reset);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let spec;
    try { spec = specOf(); } catch { toast("The fault must be JSON, e.g. {\"type\":\"latency\",\"ms\":300}", true); return; }
    if (editing) {
      await replaceAll(rules.map((r) => r.id === editing ? { ...spec, id: r.id, enabled: r.enabled } : asSpec(r)));
      reset();
      return;
    }
    try { await post(base, spec); reset(); await refresh(); }
    catch (err) { toast(err.message, true); }
  });
  // Hit counts move while the panel is open: refreshed every few seconds then, not otherwise.
  let timer = null;
  panel.addEventListener("toggle", () => {
    clearInterval(timer);
    if (panel.open) { refresh(); timer = setInterval(() => { if (!document.hidden && !editing) refresh(); }, 3000); }
  });
  fit();
  refresh();
  panel.append(summary, list, form);
  return panel;
}
