// Two sessions side by side (GET /api/diff): their messages paired by direction and order, each pair's bytes in
// hex with the bytes that differ marked, in both.
import { api } from "./api.js";
import { decodeBase64, hex2 } from "./format.js";

const SHOWN_BYTES = 256; // per message; the ranges say where the rest differs

/** Fills the panel with the comparison of sessions a and b; rejects with the API's error. */
export async function showDiff(panel, a, b) {
  const [diff, left, right] = await Promise.all([
    api(`/api/diff?a=${a}&b=${b}`),
    api(`/api/sessions/${a}/messages?limit=1000`),
    api(`/api/sessions/${b}/messages?limit=1000`),
  ]);
  const bytesOf = (messages) => new Map(messages.map((m) => [m.seq, decodeBase64(m.data)]));
  const [bytesA, bytesB] = [bytesOf(left), bytesOf(right)];
  const head = document.createElement("div");
  head.className = "diff-head";
  const differing = diff.pairs.filter((p) => !p.equal).length;
  head.textContent = `Session ${a} ↔ ${b}: ${diff.pairs.length} pairs, ${differing} differ`;
  const close = document.createElement("button");
  close.type = "button"; close.textContent = "×"; close.title = "close the comparison";
  close.addEventListener("click", () => { panel.hidden = true; panel.replaceChildren(); });
  head.append(" ", close);
  const rows = diff.pairs.map((p) => {
    const row = document.createElement("div");
    row.className = "diff-pair " + (p.equal ? "equal" : "differs");
    const label = document.createElement("div");
    label.className = "diff-label";
    label.textContent = `${p.direction === "in" ? "IN →" : "← OUT"} #${p.a ?? "—"} ↔ #${p.b ?? "—"}`
      + (p.equal ? " equal" : p.a == null || p.b == null ? " only in one" : ` ${p.ranges.length} range(s) differ`);
    row.append(label, side(bytesA.get(p.a), p.ranges, "a"), side(bytesB.get(p.b), p.ranges, "b"));
    return row;
  });
  panel.replaceChildren(head, ...rows);
  panel.hidden = false;
}

function side(bytes, ranges, which) {
  const line = document.createElement("div");
  line.className = "diff-bytes diff-" + which;
  if (!bytes) { line.textContent = "(no message)"; return line; }
  const differs = (i) => ranges.some((r) => i >= r.offset && i < r.offset + r.length);
  for (let i = 0; i < Math.min(bytes.length, SHOWN_BYTES); i++) {
    const cell = document.createElement("span");
    cell.className = "byte" + (differs(i) ? " diff" : "");
    cell.textContent = hex2(bytes[i]);
    line.append(cell, " ");
  }
  if (bytes.length > SHOWN_BYTES) line.append(`… ${bytes.length} bytes`);
  return line;
}
