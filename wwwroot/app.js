// Socket Gateway dashboard: REST for state and commands' fallbacks, the SignalR hub for live events.
// No build step. Everything is rendered with textContent (never innerHTML) because payloads are hostile.
import { api, apiKey, put } from "./js/api.js";
import { whoAmI, wireKeyDialog } from "./js/auth.js";
import { bytes, decodeBase64 } from "./js/format.js";
import { wireForms } from "./js/forms.js";
import { initHeld, loadHeld, onHeld, onReleased } from "./js/held.js";
import { showSessionTools, wireDownloads, wireReplay, wireSearch } from "./js/history.js";
import { renderListenerCards } from "./js/listeners.js";
import { renderNodes } from "./js/nodes.js";
import { createSessionList } from "./js/sessions.js";
import { wireComposer } from "./js/composer.js";
import { buildMessage, fillPayload, showSummary } from "./js/messages.js";
import { showMarks, wireMarks } from "./js/marks.js";
import { toggleDecoded } from "./js/decoded.js";
import { wireDiff } from "./js/diff.js";
import { wireKeys } from "./js/keys.js";
import { createChart, createTimeline } from "./js/chart.js";
import { listenerLayout } from "./js/layout.js";
import { initTheme } from "./js/theme.js";
import { describeTls, initCaDownload } from "./js/tls.js";

const MAX_ROWS = 500;          // message rows kept in the DOM for the selected session
const POLL_MS = 1000;

const $ = (id) => document.getElementById(id);
initTheme($("theme"));
const chart = createChart($("traffic-chart"), $("chart-scope"), $("chart-rate"), () => state.selected);
const timeline = createTimeline($("session-timeline"), (seq) => { location.hash = `#/sessions/${state.selected}/messages/${seq}`; followLink(); });
const state = {
  listeners: new Map(),
  sessions: new Map(),
  selected: null,              // session id
  lastSeq: 0,                  // newest seq rendered for the selected session
  received: 0,                 // messages the view was given for it (live or from history): fewer than it has means a gap
  pending: [],                 // messages waiting for the next animation frame
  loading: false,              // history request in flight: live messages wait in `held`
  held: [],
  view: "text",
  hub: null,
  renderQueued: false,
  layout: null,                // the selected session reads with its listener's Kaitai layout: Promise of its decoder
  nodes: null,                 // in a cluster: {count, open} of the active nodes, as /api/nodes last said
};

// ---------- toasts & status ----------
let toastTimer = 0;
function toast(text, isError) {
  const el = $("toast");
  el.textContent = text;
  el.className = "toast" + (isError ? " error" : "");
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, isError ? 6000 : 2500);
}
function setStatus(s, text) {
  const el = $("status");
  el.dataset.state = s;
  el.className = "status status-" + s;
  el.textContent = text || s;
}

// ---------- listeners ----------
function renderListeners() {
  chart.listeners([...state.listeners.keys()]);
  list.listeners([...state.listeners.keys()]);
  renderListenerCards(state.listeners, $("listeners"), { toast, encoding: () => $("composer-encoding").value });
}

// ---------- the session list (js/sessions.js: server-side filters, sort and paging; only the rows in view drawn) ----------
const list = createSessionList({
  scroller: $("sessions-scroll"),
  table: $("sessions"),
  note: $("sessions-note"),
  filters: { q: $("session-filter"), listener: $("filter-listener"), state: $("filter-state"), kind: $("filter-kind"), tag: $("filter-tag") },
  sessions: state.sessions,
  selected: () => state.selected,
  onOpen: (id) => select(id),
  onError: (message) => toast(message, true),
});
function upsertSession(s) {
  list.upsert(s);
  if (s.id === state.selected) renderSessionHead();
}
const { composerTo } = wireComposer({ state, toast, upsertSession, select: (id) => select(id) });

// ---------- marks on the selected session and its messages (js/marks.js) ----------
wireMarks({ state, toast, upsertSession, renderSessionHead: () => renderSessionHead() });

// ---------- diff (js/diff.js) and keys (js/keys.js) ----------
wireDiff({ state, toast });
wireKeys({ list, select: (id) => select(id) });

// ---------- deep links: #/sessions/12 and #/sessions/12/messages/345 (a viewer key is enough) ----------
let linkedSeq = null;
async function followLink() {
  const m = /^#\/sessions\/(\d+)(?:\/messages\/(\d+))?$/.exec(location.hash);
  if (!m) return;
  linkedSeq = m[2] ? Number(m[2]) : null;
  if (state.selected !== Number(m[1])) await select(Number(m[1]));
  markLinked();
}
/** Marks and scrolls to the linked message once its row is drawn (called again after each batch of rows). */
function markLinked() {
  if (linkedSeq === null) return;
  const row = $("messages").querySelector(`.msg[data-seq="${linkedSeq}"]`);
  if (!row) return;
  for (const r of $("messages").querySelectorAll(".msg.linked")) r.classList.remove("linked");
  row.classList.add("linked");
  row.scrollIntoView({ block: "center" });
  linkedSeq = null;
}
window.addEventListener("hashchange", followLink);
// A message's "#seq" is its link.
$("messages").addEventListener("click", (e) => {
  if (e.target.closest(".resend, .compare, .msg-star, .msg-mark")) return;
  const meta = e.target.closest(".msg > .meta");
  if (meta && state.selected != null) location.hash = `#/sessions/${state.selected}/messages/${meta.parentElement.dataset.seq}`;
});

// ---------- selected session ----------
async function select(id) {
  if (state.selected === id) return;
  const previous = state.selected;
  state.selected = id;
  if (!location.hash.startsWith(`#/sessions/${id}`)) history.replaceState(null, "", `#/sessions/${id}`);
  $("replay-form").hidden = true;
  if (!state.sessions.has(id)) {
    // A session found by a history search may be older than the table's page.
    try { upsertSession(await api(`/api/sessions/${id}`)); } catch (err) { toast(err.message, true); }
  }
  state.lastSeq = 0;
  state.received = 0;
  state.pending = [];
  state.held = [];
  $("session-decoder").value = "";
  loadSessionDecoder(id);
  $("messages").replaceChildren();
  timeline.clear();
  chart.sessionChanged();
  $("empty-detail").hidden = true;
  $("session-view").hidden = false;
  $("composer-result").textContent = "";
  renderSessionHead();
  list.queueDraw();
  if (state.hub && state.hub.state === signalR.HubConnectionState.Connected) {
    if (previous !== null) state.hub.invoke("Unwatch", `session:${previous}`).catch(() => {});
    await watchSelected();
  }
  await loadHistory();
}
async function watchSelected() {
  if (state.selected === null) return;
  try { await state.hub.invoke("Watch", `session:${state.selected}`); }
  catch (err) { toast(err.message, true); }
}
// Live traffic for the session may arrive while its history is loading: it is held, then merged by seq.
async function loadHistory() {
  const id = state.selected;
  state.loading = true;
  let history = [];
  try {
    // The newest MAX_ROWS after what is shown (the store keeps the whole session; the view keeps the tail).
    history = (await api(`/api/messages?sessionId=${id}&afterSeq=${state.lastSeq}&limit=${MAX_ROWS}`)).reverse();
  } catch (err) { toast(err.message, true); }
  if (id !== state.selected) return;
  state.loading = false;
  const merged = history.concat(state.held).sort((a, b) => a.seq - b.seq);
  state.held = [];
  enqueueMessages(merged);
}
function renderSessionHead() {
  const s = state.sessions.get(state.selected);
  if (!s) return;
  $("session-title").textContent = `Session ${s.id} · ${s.remote}`;
  $("session-meta").textContent =
    `${s.kind} ${s.protocol}${s.tls ? "+tls" : ""}${s.framing !== "raw" ? " " + s.framing : ""} ${s.local} ${s.kind === "outbound" ? "→" : "←"} ${s.remote}` +
    (s.upstream ? ` ⇄ upstream ${s.upstream}` : "") + (s.node ? ` · node ${s.node}` : "") + ` · ${s.state}` +
    (s.closeReason ? ` (${s.closeReason})` : "") +
    ` · in ${bytes(s.bytesIn)} / ${s.messagesIn} msg · out ${bytes(s.bytesOut)} / ${s.messagesOut} msg`;
  showMarks(s);
  $("session-tls").hidden = !s.tls;
  $("session-tls").textContent = describeTls(s.tls);
  const open = s.state === "open";
  if (s.kind !== "relay") $("composer-target").value = "client";
  $("close-session").disabled = !open;
  $("abort-session").disabled = !open;
  composerTo();
  showSessionTools(s);
}

function enqueueMessages(messages) {
  if (state.loading) {
    for (const m of messages) if (m.sessionId === state.selected) state.held.push(m);
    return;
  }
  for (const m of messages) {
    if (m.sessionId !== state.selected || m.seq <= state.lastSeq) continue;
    state.lastSeq = m.seq;
    state.received++;
    state.pending.push(m);
  }
  if (state.pending.length > MAX_ROWS) state.pending.splice(0, state.pending.length - MAX_ROWS);
  if (!state.renderQueued && state.pending.length) {
    state.renderQueued = true;
    requestAnimationFrame(flushMessages);
  }
}
function flushMessages() {
  state.renderQueued = false;
  const box = $("messages");
  const follow = $("autoscroll").checked;
  const fragment = document.createDocumentFragment();
  const rows = state.pending.map((m) => buildMessage(m, state.view));
  timeline.add(state.pending);
  fragment.append(...rows);
  state.pending = [];
  box.append(fragment);
  if (state.layout) rows.forEach(summariseWithLayout);
  while (box.childElementCount > MAX_ROWS) box.firstElementChild.remove();
  if (follow) box.scrollTop = box.scrollHeight;
  markLinked();
  if (pickedSeq !== null) markPicked();
  if (rows.some((r) => r.querySelector(".summary").hidden)) catchUpSummaries();
}
// A summary whose hub event never came (lost in a reconnect, or dropped for a page that fell behind) is read back
// from the store once, a little after its row was drawn; messages the decoder has not read yet wait for the event.
let summaryTimer = 0;
function catchUpSummaries() {
  if (summaryTimer || state.layout) return;
  summaryTimer = setTimeout(async () => {
    summaryTimer = 0;
    const id = state.selected;
    const rows = [...$("messages").querySelectorAll(".msg")].filter((r) => !r._summaryAsked && r.querySelector(".summary").hidden);
    if (id == null || !rows.length || !($("session-decoder").value || state.listeners.get(state.sessions.get(id)?.listenerId)?.decoder)) return;
    rows.forEach((r) => { r._summaryAsked = true; });
    const first = Number(rows[0].dataset.seq);
    try {
      const stored = await api(`/api/messages?sessionId=${id}&afterSeq=${first - 1}&order=asc&limit=${Math.min(MAX_ROWS, rows.length + 50)}`);
      const asked = new Set(rows.map((r) => Number(r.dataset.seq)));
      if (state.selected === id) for (const m of stored) if (m.summary && asked.has(m.seq)) showSummary($("messages"), m.seq, m.summary);
    } catch { /* the next rows try again */ }
  }, 2000);
}
function setView(view) {
  state.view = view;
  $("view-text").classList.toggle("on", view === "text");
  $("view-hex").classList.toggle("on", view === "hex");
  for (const row of $("messages").children) fillPayload(row.querySelector(".payload"), row._data, state.view);
  $("diff-panel").redraw?.(view);
}

// ---------- commands ----------
async function closeSelected(abort) {
  const id = state.selected;
  try {
    await api(`/api/sessions/${id}${abort ? "?abort=true" : ""}`, { method: "DELETE" });
    toast(abort ? `Session ${id} reset` : `Session ${id} closed`);
  } catch (err) { toast(err.message, true); }
}

// ---------- polling for counters ----------
// Messages the hub did not bring (a slow page's dropped events, or another node's while Redis was away) are
// read back from the store: every few seconds, when the session has more messages than this view was given,
// the view is loaded again from REST, once per count (a store that lost some to the writer does not loop).
const GAP_CHECK_TICKS = 5;
const NODE_CHECK_TICKS = 2; // the cluster's nodes: every other poll (each asks every node)
let gapTick = 0;
let reloadedFor = -1;
async function fillGaps() {
  const id = state.selected;
  if (id === null || state.loading) return;
  try {
    const s = await api(`/api/sessions/${id}`);
    if (id !== state.selected) return;
    upsertSession(s);
    const total = s.messagesIn + s.messagesOut;
    if (s.capture === "off" || state.received >= Math.min(total, MAX_ROWS) || reloadedFor === total) return;
    reloadedFor = total;
    state.lastSeq = 0;
    state.received = 0;
    state.pending = [];
    state.held = [];
    $("messages").replaceChildren();
    timeline.clear();
    await loadHistory();
  } catch { /* the next check tries again */ }
}

async function poll() {
  if (++gapTick % GAP_CHECK_TICKS === 0) fillGaps();
  if (gapTick % NODE_CHECK_TICKS === 1) api("/api/nodes").then((nodes) => { state.nodes = renderNodes(nodes, $("nodes")); }, () => {});
  try {
    const [listeners, stats] = await Promise.all([api("/api/listeners"), api("/api/stats"), list.refresh()]);
    state.listeners = new Map(listeners.map((l) => [l.id, l]));
    renderListeners();
    if (state.selected !== null && state.sessions.has(state.selected)) renderSessionHead();
    // In a cluster, the open sessions of every node (as the nodes last said); this node's own in the title.
    $("stat-open").textContent = state.nodes ? state.nodes.open : stats.sessionsOpen;
    $("stat-open").parentElement.title = state.nodes ? `open on the ${state.nodes.count} nodes; ${stats.sessionsOpen} on this one` : "";
    $("stat-total").textContent = stats.sessionsTotal;
    $("stat-in").textContent = bytes(stats.bytesIn);
    $("stat-out").textContent = bytes(stats.bytesOut);
    $("stat-dropped").textContent = stats.dropped;
    $("stat-dropped").parentElement.classList.toggle("warn", stats.dropped > 0);
    $("stat-captured").textContent = bytes(stats.capture.bytesCaptured);
    $("stat-lost").textContent = bytes(stats.capture.bytesDropped);
    $("stat-capture-lost").hidden = stats.capture.bytesDropped === 0;
    $("capture-stat").classList.toggle("warn", stats.capture.bytesDropped > 0);
    $("capture-stat").title = `Capture store ${stats.capture.database}: ${bytes(stats.capture.bytesCaptured)} of ${bytes(stats.capture.bytesSeen)} captured, `
      + `${bytes(stats.capture.bytesDropped)} lost because the writer fell behind, ${bytes(stats.capture.bytesPending)} pending`;
  } catch { /* the status pill tells the story; try again next tick */ }
}

// ---------- hub ----------
async function connect() {
  const hub = new signalR.HubConnectionBuilder()
    .withUrl("hubs/traffic", { accessTokenFactory: () => apiKey() ?? "" })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (ctx) => Math.min(5000, 250 * 2 ** ctx.previousRetryCount) })
    .configureLogging(signalR.LogLevel.Warning)
    .build();
  state.hub = hub;
  hub.on("traffic", (batch) => enqueueMessages(batch));
  hub.on("sessionOpened", upsertSession);
  hub.on("sessionClosed", upsertSession);
  hub.on("sessionUpdated", upsertSession);
  hub.on("decoded", (d) => { if (d.sessionId === state.selected) showSummary($("messages"), d.seq, d.summary); });
  hub.on("held", onHeld);
  hub.on("heldReleased", onReleased);
  // A stopped listener is gone from the API; show it no longer.
  hub.on("counters", (c) => chart.add(c));
  hub.on("listenerChanged", (l) => {
    if (l.state === "stopped") state.listeners.delete(l.id); else state.listeners.set(l.id, l);
    renderListeners();
    if (state.sessions.get(state.selected)?.listenerId === l.id) useLayoutIfChosen(); // its decoder or layout may have changed
  });
  hub.onreconnecting(() => setStatus("reconnecting", "reconnecting…"));
  hub.onreconnected(async () => {
    setStatus("connected");
    loadHeld();
    await watchSelected();
    await loadHistory(); // whatever arrived while we were away
    poll();
  });
  hub.onclose(() => { setStatus("disconnected"); setTimeout(start, 2000); });

  async function start() {
    try {
      setStatus("connecting", "connecting…");
      await hub.start();
      setStatus("connected");
      loadHeld();
      await watchSelected();
      if (state.selected !== null) await loadHistory();
    } catch {
      setStatus("disconnected");
      setTimeout(start, 2000);
    }
  }
  await start();
}

// ---------- wiring ----------
// The session's decoder: its listener's unless chosen here; new messages are summarised with the choice.
let decoderNames = null;
async function loadSessionDecoder(id) {
  const box = $("session-decoder");
  try {
    decoderNames ??= await api("/api/decoders");
    if (box.options.length === 1) for (const name of decoderNames) box.add(new Option(name, name));
    const { decoder } = await api(`/api/sessions/${id}/decoder`);
    if (state.selected === id) { box.value = decoder ?? ""; useLayoutIfChosen(); }
  } catch { /* shown by the next action that needs it */ }
}
$("session-decoder").addEventListener("change", async (e) => {
  const id = state.selected;
  try {
    await put(`/api/sessions/${id}/decoder`, { decoder: e.target.value || null });
    toast(`Session ${id} decodes as ${e.target.value || "its listener's decoder"}.`);
    useLayoutIfChosen();
  } catch (err) {
    toast(err.message, true);
    loadSessionDecoder(id);
  }
});

// Decoder "layout" runs here: the listener's Kaitai layout, compiled in this browser, summarises each row
// and draws the decoded view; the server's decoders are asked over REST.
function useLayoutIfChosen() {
  const session = state.sessions.get(state.selected);
  const name = $("session-decoder").value || state.listeners.get(session?.listenerId)?.decoder;
  state.layout = name === "layout" && session?.listenerId ? listenerLayout(session.listenerId) : null;
  state.layout?.catch(() => { /* shown in the rows and the decoded view */ });
  if (state.layout) for (const row of $("messages").children) summariseWithLayout(row);
}
function summariseWithLayout(row) {
  const seq = row.dataset.seq;
  state.layout
    .then((layout) => layout.decode(decodeBase64(row._data)).summary, (e) => `(layout: ${e.message.split("\n")[0]})`)
    .then((text) => showSummary($("messages"), seq, text));
}
// A message's summary opens its decoded view: the field tree beside its bytes.
const openDecoded = (e) => {
  const summary = e.target.closest(".msg > .summary");
  const layout = state.layout;
  if (summary && state.selected != null) {
    toggleDecoded(summary.parentElement, state.selected, layout ? (data) => layout.then((l) => l.decode(data)) : null);
  }
};
$("messages").addEventListener("click", openDecoded);
$("messages").addEventListener("keydown", (e) => { if ((e.key === "Enter" || e.key === " ") && e.target.matches(".msg > .summary")) { e.preventDefault(); openDecoded(e); } });
$("view-text").addEventListener("click", () => setView("text"));
$("view-hex").addEventListener("click", () => setView("hex"));
$("close-session").addEventListener("click", () => closeSelected(false));
initHeld($("held"), toast);
initCaDownload($("ca-download"), $("ca-fingerprint"), toast);
wireForms($("listener-form"), $("connect-form"), {
  toast,
  onListener: (l) => { state.listeners.set(l.id, l); renderListeners(); },
  onSession: async (s) => { upsertSession(s); await select(s.id); },
});
$("abort-session").addEventListener("click", () => closeSelected(true));
wireSearch($("search-form"), $("search-results"), $("export-all"), { toast, onPick: (id) => select(id) });
wireDownloads($("export-pcapng"), $("export-json"), $("export-all"));
wireReplay($("replay-open"), $("replay-form"), {
  toast,
  selected: () => state.selected,
  onSession: async (s) => { upsertSession(s); await select(s.id); },
});

// The side bar folds away (the choice is kept).
function showSidebar(show) {
  document.body.classList.toggle("sidebar-collapsed", !show);
  $("sidebar-toggle").setAttribute("aria-expanded", String(show));
  localStorage.setItem("gateway.sidebar", show ? "shown" : "hidden");
  list.queueDraw();
}
showSidebar(localStorage.getItem("gateway.sidebar") !== "hidden");
$("sidebar-toggle").addEventListener("click", () => showSidebar(document.body.classList.contains("sidebar-collapsed")));

wireKeyDialog();
await whoAmI();
list.reload();
poll();
setInterval(poll, POLL_MS);
connect();
followLink();
