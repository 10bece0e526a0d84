// The composer: what to send (text, hex or base64, an optional newline) and where: the selected session (for a
// relay, its client or its upstream), another open session, or a new connection; through the hub when it is
// connected, else over REST.
import { api, post } from "./api.js";
import { decodeBase64, hex2 } from "./format.js";

const $ = (id) => document.getElementById(id);

/** Wires the composer; ctx: {state, toast, upsertSession, select}. Returns composerTo, which the session header calls when the selection changes. */
export function wireComposer({ state, toast, upsertSession, select }) {
  async function send(e) {
    e.preventDefault();
    let data = $("composer-text").value;
    const encoding = $("composer-encoding").value;
    if ($("composer-newline").checked) {
      data += encoding === "hex" ? " 0a" : encoding === "base64" ? "" : "\n";
    }
    if (!data) return;
    try {
      const to = $("composer-to").value;
      let id = state.selected, target = $("composer-target").value, opened = null;
      if (to === "session") {
        id = Number($("composer-dest").value.replace(/^#/, ""));
        if (!Number.isInteger(id) || id < 1) throw new Error("Give the number of an open session to send to, e.g. 12.");
        target = "client";
      } else if (to === "new") {
        opened = await post("/api/connections", connectionTo($("composer-dest").value));
        id = opened.id;
        target = "client";
      }
      const sent = state.hub && state.hub.state === signalR.HubConnectionState.Connected
        ? await state.hub.invoke("Send", id, data, encoding, target)
        : (await post(`/api/sessions/${id}/send`, { data, encoding, target })).bytes;
      $("composer-result").textContent = id === state.selected ? `sent ${sent} bytes` : `sent ${sent} bytes to session ${id}`;
      $("composer-text").value = "";
      if (opened) {
        // The new connection is where its answer will show: open it, and send there from now on.
        $("composer-to").value = "";
        composerTo();
        upsertSession(opened);
        await select(opened.id);
        toast(`Connected to ${opened.remote} (session ${opened.id}) and sent ${sent} bytes.`);
      }
    } catch (err) {
      $("composer-result").textContent = "";
      toast(cleanHubError(err.message), true);
    }
  }
  /** "host:port" (TCP), "udp://host:port", "tcp://host:port" or "unix:/path" → POST /api/connections' body. */
  function connectionTo(text) {
    const t = text.trim();
    if (t.startsWith("unix:")) return { protocol: "unix", path: t.slice(5) };
    const m = /^(?:(tcp|udp):\/\/)?(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(t);
    if (!m) throw new Error(`'${t}' is not a place to connect to: give host:port, udp://host:port or unix:/path.`);
    return { protocol: m[1] ?? "tcp", host: m[2].replace(/^\[|\]$/g, ""), port: Number(m[3]) };
  }
  // Where the composer sends: this session (open), another open session, or a new connection; the last two work
  // from a closed session too (a message from history, resent elsewhere).
  function composerTo() {
    const to = $("composer-to").value;
    const dest = $("composer-dest");
    dest.hidden = to === "";
    dest.placeholder = to === "session" ? "session #, e.g. 12" : "host:port, udp://host:port, unix:/path";
    const s = state.sessions.get(state.selected);
    $("composer-target").hidden = to !== "" || s?.kind !== "relay";
    $("composer-send").disabled = to === "" && s?.state !== "open";
  }
  // SignalR wraps server errors as "An unexpected error occurred invoking 'X' on the server. HubException: ...".
  function cleanHubError(message) {
    const i = message.indexOf("HubException: ");
    return i >= 0 ? message.slice(i + "HubException: ".length) : message;
  }

  $("composer-to").addEventListener("change", () => { composerTo(); if (!$("composer-dest").hidden) $("composer-dest").focus(); });
  $("composer").addEventListener("submit", send);
  $("composer-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("composer").requestSubmit();
  });
  // "resend": the message's bytes into the composer, as text when they read as text (a textarea turns CR LF into
  // LF, so a message with a CR goes as hex, byte for byte), else hex; for a relay, aimed
  // where the message went (what the client sent goes to the upstream again).
  $("messages").addEventListener("click", async (e) => {
    const button = e.target.closest(".msg .resend");
    if (!button || state.selected == null) return;
    e.stopPropagation();
    const row = button.closest(".msg");
    let bytesOf = decodeBase64(row._data);
    if (row._truncated) {
      try {
        const [full] = await api(`/api/messages?sessionId=${state.selected}&afterSeq=${Number(row.dataset.seq) - 1}&limit=1`);
        if (full) bytesOf = decodeBase64(full.data);
      } catch (err) { toast(err.message, true); }
    }
    const text = new TextDecoder("utf-8", { fatal: false }).decode(bytesOf);
    const printable = !text.includes("\uFFFD") && !/[\x00-\x08\x0b-\x1f]/.test(text);
    $("composer-encoding").value = printable ? "utf8" : "hex";
    $("composer-text").value = printable ? text : Array.from(bytesOf, hex2).join(" ");
    $("composer-newline").checked = false;
    if (!$("composer-target").hidden) $("composer-target").value = row.dataset.direction === "in" ? "upstream" : "client";
    $("composer-text").focus();
  }, true);
  return { composerTo };
}
