// The fault panel of a relay listener's card: the faults in force, and a form to add one.
import { api, post } from "./api.js";

const FIELDS = {
  latency: ["ms", "jitterMs"],
  bandwidth: ["kbps"],
  slicer: ["averageSize", "sizeVariation", "delayUs"],
  timeout: ["ms"],
  resetPeer: ["afterMs"],
  limitData: ["bytes"],
  loss: ["percent"],
  duplicate: ["percent"],
};
const STREAM_ONLY = ["slicer", "timeout", "resetPeer", "limitData"];
const UDP_ONLY = ["loss", "duplicate"];

/** Builds the panel for a relay listener; `protocol` decides which fault types are offered. */
export function buildFaultPanel(listenerId, protocol, toast) {
  const panel = document.createElement("details");
  panel.className = "faults needs-admin";
  const summary = document.createElement("summary");
  summary.textContent = "Faults";
  const list = document.createElement("div");
  list.className = "fault-list";
  const form = document.createElement("form");
  form.className = "fault-form";
  const types = Object.keys(FIELDS).filter((t) => (protocol === "udp" ? !STREAM_ONLY.includes(t) : !UDP_ONLY.includes(t)));
  form.innerHTML = `
    <select name="type" aria-label="fault type">${types.map((t) => `<option>${t}</option>`).join("")}</select>
    <select name="direction" aria-label="direction"><option value="both">both</option><option value="in">in</option><option value="out">out</option></select>
    ${[...new Set(Object.values(FIELDS).flat())].map((f) => `<input name="${f}" type="number" min="0" step="any" placeholder="${f}" aria-label="${f}">`).join("")}
    <input name="toxicity" type="number" min="0" max="1" step="0.05" value="1" aria-label="toxicity" title="toxicity: chance per message">
    <button type="submit">Add</button>`;
  const base = `/api/listeners/${encodeURIComponent(listenerId)}/faults`;
  const fit = () => {
    const wanted = FIELDS[form.elements.type.value];
    for (const input of form.querySelectorAll("input[type=number]:not([name=toxicity])")) input.hidden = !wanted.includes(input.name);
  };
  // Answers can arrive out of order (a slow first load after an add): only the newest request may render.
  let latest = 0;
  const refresh = async () => {
    const mine = ++latest;
    try {
      const faults = await api(base);
      if (mine !== latest) return;
      list.replaceChildren(...faults.map((f) => chip(f)));
      summary.textContent = faults.length ? `Faults (${faults.length})` : "Faults";
    } catch (err) { toast(err.message, true); }
  };
  const chip = (f) => {
    const item = document.createElement("span");
    item.className = "fault-chip";
    item.dataset.faultId = f.id;
    const params = FIELDS[f.type].filter((k) => f[k] !== null && f[k] !== undefined).map((k) => `${k}=${f[k]}`).join(" ");
    item.textContent = `${f.type} ${f.direction} ${params}${f.toxicity < 1 ? ` ×${f.toxicity}` : ""} `;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "✕";
    remove.title = "remove this fault";
    remove.addEventListener("click", async () => {
      try { await api(`${base}/${f.id}`, { method: "DELETE" }); await refresh(); }
      catch (err) { toast(err.message, true); }
    });
    item.append(remove);
    return item;
  };
  form.elements.type.addEventListener("change", fit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = { type: f.type.value, direction: f.direction.value, toxicity: Number(f.toxicity.value || 1) };
    for (const field of FIELDS[body.type]) if (f[field].value !== "") body[field] = Number(f[field].value);
    try { await post(base, body); await refresh(); }
    catch (err) { toast(err.message, true); }
  });
  fit();
  refresh();
  panel.append(summary, list, form);
  return panel;
}
