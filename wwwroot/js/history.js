// History: search captured messages across sessions, export pcapng, and replay a session.
import { api, apiKey, post } from "./api.js";
import { decodeBase64, renderText, time } from "./format.js";

const PREVIEW_BYTES = 120;

// The search form: GET /api/messages with the filled fields; a hit selects its session.
export function wireSearch(form, results, exportAll, { toast, onPick }) {
  const query = () => {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (String(value).trim()) params.set(key, String(value).trim());
    return params;
  };
  const syncExport = () => {
    const listener = form.elements.listenerId.value.trim();
    exportAll.href = "api/captures.pcapng" + (listener ? "?listenerId=" + encodeURIComponent(listener) : "");
  };
  form.elements.listenerId.addEventListener("input", syncExport);
  syncExport();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params = query();
    params.set("limit", "200");
    try {
      const hits = await api("/api/messages?" + params);
      results.replaceChildren(...hits.map((m) => buildHit(m, onPick)));
      if (hits.length === 0) {
        const none = document.createElement("p");
        none.className = "muted";
        none.textContent = "No captured message matches.";
        results.append(none);
      }
    } catch (err) { toast(err.message, true); }
  });
}

function buildHit(m, onPick) {
  const row = document.createElement("div");
  row.className = "hit";
  row.dataset.sessionId = m.sessionId;
  row.dataset.seq = m.seq;
  row.title = `session ${m.sessionId}, seq ${m.seq}, ${m.size} bytes at ${m.at}`;
  const at = document.createElement("span"); at.textContent = time(m.at);
  const where = document.createElement("span"); where.textContent = `#${m.sessionId} ${m.direction}`;
  const payload = document.createElement("pre");
  if (m.summary) {
    const summary = document.createElement("span");
    summary.className = "hit-summary";
    summary.textContent = m.summary;
    payload.append(summary, "\n");
  }
  renderText(payload, decodeBase64(m.data).slice(0, PREVIEW_BYTES));
  const size = document.createElement("span"); size.className = "muted"; size.textContent = `${m.size} B`;
  row.append(at, where, payload, size);
  row.addEventListener("click", () => onPick(m.sessionId));
  return row;
}

// Export links are plain downloads (streamed to disk) when the gateway is open. With a key, which must
// not go into a URL, the file is fetched with the key header and saved from memory instead.
export function wireDownloads(...anchors) {
  for (const anchor of anchors) {
    anchor.addEventListener("click", async (e) => {
      if (!apiKey() || anchor.dataset.saving) return;
      e.preventDefault();
      const response = await fetch(anchor.href, { headers: { "X-Api-Key": apiKey() } });
      if (!response.ok) return;
      const url = URL.createObjectURL(await response.blob());
      const save = document.createElement("a");
      save.href = url;
      save.download = anchor.download || "capture";
      save.dataset.saving = "1";
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    });
  }
}

// Export links and the replay form of the selected session.
export function showSessionTools(session) {
  const base = `api/sessions/${session.id}/capture`;
  const pcap = document.getElementById("export-pcapng");
  const json = document.getElementById("export-json");
  pcap.href = base + ".pcapng";
  pcap.download = `session-${session.id}.pcapng`;
  json.href = base + ".json";
  json.download = `session-${session.id}.json`;
  const kept = session.capture === "full";
  for (const el of [pcap, json]) {
    el.hidden = session.capture === "off";
  }
  document.getElementById("replay-open").disabled = !kept;
}

export function wireReplay(button, form, { toast, selected, onSession }) {
  button.addEventListener("click", () => { form.hidden = !form.hidden; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = form.elements;
    const body = {
      host: f.host.value.trim() || null,
      port: f.port.value ? Number(f.port.value) : null,
      path: f.path.value.trim() || null,
      protocol: f.protocol.value || null,
      direction: f.direction.value,
      timing: f.timing.value,
      speed: f.speed.value ? Number(f.speed.value) : null,
    };
    try {
      const id = selected();
      const session = await post(`/api/sessions/${id}/replay`, body);
      form.hidden = true;
      toast(`Replaying session ${id} into session ${session.id}`);
      await onSession(session);
    } catch (err) { toast(err.message, true); }
  });
}
