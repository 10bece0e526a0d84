// Listener cards: address, state, counters, broadcast, rules; for relays, interception and faults.
import { api, post } from "./api.js";
import { bytes } from "./format.js";
import { buildFaultPanel } from "./faults.js";
import { buildInterceptControls } from "./held.js";
import { buildLayoutPanel } from "./layout.js";
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
    card.querySelector(".listener-stats").textContent =
      `${l.sessions} open · ${bytes(l.bytesIn)} in · ${bytes(l.bytesOut)} out` + (l.error ? ` · ${l.error}` : "");
    cards.push(card);
  }
  host.replaceChildren(...cards);
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
  card.append(head, tls, stats, form);
  const listener = listeners.get(id);
  card.append(buildRulePanel(id, !!listener?.upstream, toast));
  card.append(buildLayoutPanel(id, toast));
  if (listener?.upstream) card.append(buildInterceptControls(id));
  if (listener?.upstream) card.append(buildFaultPanel(id, listener.protocol, toast));
  return card;
}
