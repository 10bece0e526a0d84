// Two sessions (GET /api/diff) or two messages (GET /api/diff/messages) side by side: messages paired by
// direction and order, each pair's bytes in text or hex (the message view's choice) with the bytes that differ
// marked, in both.
import { api } from "./api.js";
import { decodeBase64, hex2 } from "./format.js";

const $ = (id) => document.getElementById(id);
const SHOWN_BYTES = 256; // per message; the ranges say where the rest differs

/** Fills the panel with the comparison of sessions a and b; rejects with the API's error. */
export async function showDiff(panel, a, b, view) {
  const [diff, left, right] = await Promise.all([
    api(`/api/diff?a=${a}&b=${b}`),
    api(`/api/sessions/${a}/messages?limit=1000`),
    api(`/api/sessions/${b}/messages?limit=1000`),
  ]);
  draw(panel, `Session ${a} ↔ ${b}`, diff.pairs, bytesBySeq(left.concat(right)), view);
}

/** Fills the panel with the comparison of two messages (by seq, of one session or two). */
export async function showMessageDiff(panel, a, b, view) {
  const [diff, left, right] = await Promise.all([
    api(`/api/diff/messages?a=${a}&b=${b}`),
    api(`/api/messages?afterSeq=${a - 1}&order=asc&limit=1`),
    api(`/api/messages?afterSeq=${b - 1}&order=asc&limit=1`),
  ]);
  draw(panel, `Message #${a} ↔ #${b}`, diff.pairs, bytesBySeq(left.concat(right)), view);
}

const bytesBySeq = (messages) => new Map(messages.map((m) => [m.seq, decodeBase64(m.data)]));

function draw(panel, title, pairs, bytes, view) {
  const head = document.createElement("div");
  head.className = "diff-head";
  const differing = pairs.filter((p) => !p.equal).length;
  head.textContent = `${title}: ${pairs.length} pair${pairs.length === 1 ? "" : "s"}, ${differing} differ${differing === 1 ? "s" : ""}`;
  const close = document.createElement("button");
  close.type = "button"; close.textContent = "×"; close.title = "close the comparison";
  close.addEventListener("click", () => { panel.hidden = true; panel.replaceChildren(); panel.redraw = null; });
  head.append(" ", close);
  const rows = pairs.map((p) => {
    const row = document.createElement("div");
    row.className = "diff-pair " + (p.equal ? "equal" : "differs");
    const label = document.createElement("div");
    label.className = "diff-label";
    label.textContent = `${p.direction === "in" ? "IN →" : "← OUT"} #${p.a ?? "—"} ↔ #${p.b ?? "—"}`
      + (p.equal ? " equal" : p.a == null || p.b == null ? " only in one" : ` ${p.ranges.length} range(s) differ`);
    row.append(label, side(bytes.get(p.a), p.ranges, "a", view), side(bytes.get(p.b), p.ranges, "b", view));
    return row;
  });
  panel.replaceChildren(head, ...rows);
  panel.hidden = false;
  panel.redraw = (nextView) => draw(panel, title, pairs, bytes, nextView); // the text/hex toggle
}

// In text, a byte is its character, or an escape (\n, \r, \t, \xNN) when it is not printable ASCII: one mark per byte.
const glyph = (b) => b === 10 ? "\\n" : b === 13 ? "\\r" : b === 9 ? "\\t" : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "\\x" + hex2(b);

function side(bytes, ranges, which, view) {
  const line = document.createElement("div");
  line.className = `diff-bytes diff-${which} ${view === "hex" ? "hex" : "text"}`;
  if (!bytes) { line.textContent = "(no message)"; return line; }
  const differs = (i) => ranges.some((r) => i >= r.offset && i < r.offset + r.length);
  for (let i = 0; i < Math.min(bytes.length, SHOWN_BYTES); i++) {
    const cell = document.createElement("span");
    cell.className = "byte" + (differs(i) ? " diff" : "");
    cell.dataset.offset = i;
    cell.textContent = view === "hex" ? hex2(bytes[i]) : glyph(bytes[i]);
    line.append(cell);
    if (view === "hex") line.append(" ");
  }
  if (bytes.length > SHOWN_BYTES) line.append(` … ${bytes.length} bytes`);
  return line;
}

/** Wires "compare" (this session against another; one message against another, of any session); ctx: {state, toast}. */
export function wireDiff({ state, toast }) {
  $("diff-open").addEventListener("click", async () => {
    const other = Number($("diff-with").value);
    if (state.selected == null || !other) { toast("Give the number of the session to compare with.", true); return; }
    try { await showDiff($("diff-panel"), state.selected, other, state.view); } catch (err) { toast(err.message, true); }
  });
  // Two messages: "compare" on one picks it; "compare" on another (of any session) shows the two side by side.
  let pickedSeq = null;
  $("messages").addEventListener("click", async (e) => {
    const button = e.target.closest(".msg .compare");
    if (!button) return;
    e.stopPropagation();
    const seq = Number(button.closest(".msg").dataset.seq);
    if (pickedSeq === null || pickedSeq === seq) {
      pickedSeq = pickedSeq === seq ? null : seq;
      markPicked();
      if (pickedSeq !== null) toast(`Message #${seq} picked: "compare" on another message shows the two side by side.`);
      return;
    }
    const first = pickedSeq;
    pickedSeq = null;
    markPicked();
    try { await showMessageDiff($("diff-panel"), first, seq, state.view); } catch (err) { toast(err.message, true); }
  }, true);
  function markPicked() {
    for (const row of $("messages").querySelectorAll(".msg")) row.classList.toggle("picked", Number(row.dataset.seq) === pickedSeq);
  }
}
