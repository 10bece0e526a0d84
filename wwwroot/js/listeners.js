// Listener cards: address, state, counters, broadcast, rules; for relays, interception and faults.
import { api, post, put } from "./api.js";
import { bytes } from "./format.js";
import { buildFaultPanel } from "./faults.js";
import { buildInterceptControls } from "./held.js";
import { buildLayoutPanel } from "./layout.js";
import { describeBindings } from "./nodes.js";
import { buildRulePanel } from "./rules.js";

export function renderListenerCards(listeners, host, context) {
  const cards = [];
  for (const l of listeners.values()) {
    let card = host.querySelector(`[data-listener-id="${CSS.escape(l.id)}"]`);
    if (!card) card = buildListenerCard(l.id, listeners, host, context);
    card.querySelector(".listener-name").textContent = l.name;
    card.querySelector(".listener-addr").textContent = l.protocol === "unix"
      ? `unix ${l.path}`
      : `${l.protocol} ${l.address.includes(":") ? "[" + l.address + "]" : l.address}:${l.port}`
        + (l.framing && l.framing !== "raw" ? ` · ${l.framing}` : "") + (l.tls ? " · tls" : "")
        + (l.upstream ? ` ⇄ ${l.upstream}` : "")
        + (l.decoder ? ` · ${l.decoder}${l.decodeAs ? ` (${l.decodeAs})` : ""}` : "");
    const tls = card.querySelector(".listener-tls");
    tls.hidden = !l.tls;
    tls.textContent = l.tls ? `sha256 ${l.tls.fingerprint}` : "";
    tls.title = l.tls ? `${l.tls.subject}${l.tls.selfSigned ? " (self-signed)" : ""}, SHA-256 ${l.tls.fingerprint}` : "";
    const badge = card.querySelector(".badge");
    badge.textContent = l.state;
    badge.className = "badge " + l.state;
    const chooser = card.querySelector(".listener-decoder");
    if (document.activeElement !== chooser) chooser.dataset.value = chooser.value = l.decoder ?? "";
    const decodeAs = card.querySelector(".listener-decode-as");
    decodeAs.hidden = (l.decoder ?? chooser.value) !== "wireshark";
    if (document.activeElement !== decodeAs) decodeAs.value = l.decodeAs ?? "";
    card.querySelector(".listener-stats").textContent =
      `${l.sessions} open · ${bytes(l.bytesIn)} in · ${bytes(l.bytesOut)} out` + (l.error ? ` · ${l.error}` : "");
    const bound = card.querySelector(".listener-nodes");
    bound.textContent = describeBindings(l);
    bound.hidden = !bound.textContent;
    bound.classList.toggle("warn", (l.nodes ?? []).some((b) => b.state !== "listening"));
    cards.push(card);
  }
  // Only when the set or order changed: moving a card out and back blurs whatever is focused in it, and
  // this runs on every poll (a user typing a layout, a rule or a broadcast would lose the caret each second).
  const shown = host.children;
  if (shown.length !== cards.length || cards.some((card, i) => shown[i] !== card)) host.replaceChildren(...cards);
}
function buildListenerCard(id, listeners, host, { toast, encoding }) {
  const card = document.createElement("div");
  card.className = "listener";
  card.dataset.listenerId = id;
  const head = document.createElement("div");
  head.className = "listener-head";
  const name = document.createElement("span"); name.className = "listener-name";
  const addr = document.createElement("span"); addr.className = "listener-addr";
  const badge = document.createElement("span"); badge.className = "badge";
  const stop = document.createElement("button");
  stop.type = "button"; stop.className = "danger stop-listener needs-admin"; stop.textContent = "Stop";
  stop.title = "Stop accepting and close this listener's sessions";
  stop.addEventListener("click", async () => {
    try {
      await api(`/api/listeners/${encodeURIComponent(id)}`, { method: "DELETE" });
      listeners.delete(id);
      renderListenerCards(listeners, host, { toast, encoding });
      toast(`Listener ${id} stopped`);
    } catch (err) { toast(err.message, true); }
  });
  const actions = document.createElement("span"); actions.className = "listener-actions"; actions.append(badge, stop);
  const left = document.createElement("span"); left.append(name, " ", addr);
  head.append(left, actions);
  const tls = document.createElement("div"); tls.className = "listener-tls"; tls.hidden = true;
  const stats = document.createElement("div"); stats.className = "listener-stats";
  const nodes = document.createElement("div"); nodes.className = "listener-nodes"; nodes.hidden = true;
  nodes.title = "this listener's socket on each node of the cluster";
  const form = document.createElement("form"); form.className = "broadcast needs-operator";
  const input = document.createElement("input");
  input.placeholder = "broadcast to every open session (uses the composer's encoding)";
  input.setAttribute("aria-label", "broadcast to " + id);
  const button = document.createElement("button"); button.type = "submit"; button.textContent = "Broadcast";
  form.append(input, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!input.value) return;
    try {
      const r = await post(`/api/listeners/${encodeURIComponent(id)}/broadcast`,
        { data: input.value, encoding: encoding() });
      toast(`Broadcast ${r.bytes} bytes to ${r.sessions} session(s)`);
      input.value = "";
    } catch (err) { toast(err.message, true); }
  });
  card.append(head, tls, stats, nodes, buildDecoderChooser(id, toast), form);
  const listener = listeners.get(id);
  card.append(buildRulePanel(id, !!listener?.upstream, toast));
  card.append(buildLayoutPanel(id, toast));
  if (listener?.upstream) card.append(buildInterceptControls(id));
  if (listener?.upstream) card.append(buildFaultPanel(id, listener.protocol, toast));
  return card;
}

// How the listener's messages are read from now on (PUT /api/listeners/{id}/decoder); wireshark takes a Decode As rule.
let decoderNames = null;
function buildDecoderChooser(id, toast) {
  const row = document.createElement("div");
  row.className = "listener-decoding needs-operator";
  const label = document.createElement("label");
  label.className = "inline";
  label.textContent = "decoder ";
  const box = document.createElement("select");
  box.className = "listener-decoder";
  box.setAttribute("aria-label", `decoder of ${id}`);
  box.add(new Option("none", ""));
  const decodeAs = document.createElement("input");
  decodeAs.className = "listener-decode-as";
  decodeAs.placeholder = "decode as, e.g. tcp.port==1883,mqtt";
  decodeAs.setAttribute("aria-label", `Wireshark decode-as rule of ${id}`);
  decodeAs.hidden = true;
  label.append(box);
  row.append(label, " ", decodeAs);
  (decoderNames ??= api("/api/decoders")).then((names) => {
    for (const name of names) box.add(new Option(name, name));
    box.value = box.dataset.value ?? "";
  }).catch(() => { decoderNames = null; });
  const apply = async () => {
    decodeAs.hidden = box.value !== "wireshark";
    try {
      const chosen = await put(`/api/listeners/${encodeURIComponent(id)}/decoder`,
        { decoder: box.value || null, decodeAs: box.value === "wireshark" && decodeAs.value.trim() ? decodeAs.value.trim() : null });
      box.dataset.value = chosen.decoder ?? "";
      toast(`Listener ${id} decodes as ${chosen.decoder ?? "nothing"}${chosen.decodeAs ? ` (${chosen.decodeAs})` : ""}`);
    } catch (err) {
      toast(err.message, true);
      box.value = box.dataset.value ?? "";
    }
  };
  box.addEventListener("change", apply);
  decodeAs.addEventListener("change", apply);
  return row;
}
