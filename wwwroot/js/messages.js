// One row of the message view: time, direction, payload (text or hex), seq, size, preview, faults, rules and tags.
import { decodeBase64, renderHex, renderText, time } from "./format.js";

export function buildMessage(m, view) {
  const row = document.createElement("div");
  row.className = "msg " + m.direction;
  row.dataset.seq = m.seq;
  row.dataset.direction = m.direction;
  row._data = m.data;
  const at = document.createElement("span"); at.className = "at"; at.textContent = time(m.at); at.title = m.at;
  const dir = document.createElement("span"); dir.className = "dir";
  dir.textContent = m.direction === "in" ? "IN →" : "← OUT";
  dir.title = m.direction === "in" ? "received from the peer (relay: client → upstream)" : "sent to the peer (relay: upstream → client)";
  const payload = document.createElement("pre"); payload.className = "payload";
  fillPayload(payload, m.data, view);
  const meta = document.createElement("span"); meta.className = "meta"; meta.title = "link to this message (the address bar holds it)";
  meta.textContent = `#${m.seq} · ${m.size} bytes`
    + (m.truncated ? ` · preview of the first ${decodeBase64(m.data).length}` : "")
    + (m.faults?.length ? ` · faults: ${m.faults.join(", ")}` : "")
    + (m.rules?.length ? ` · rules: ${m.rules.join(", ")}` : "");
  for (const tag of m.tags ?? []) {
    const chip = document.createElement("span");
    chip.className = "tag-chip";
    chip.textContent = tag;
    meta.append(" ", chip);
  }
  const summary = document.createElement("div");
  summary.className = "summary";
  summary.setAttribute("role", "button");
  summary.tabIndex = 0;
  summary.title = "show the decoded fields and their bytes";
  const text = m.summary ?? early.get(m.seq);
  early.delete(m.seq);
  summary.hidden = !text;
  summary.textContent = text ?? "";
  const resend = document.createElement("button");
  resend.type = "button";
  resend.className = "resend needs-operator";
  resend.textContent = "resend";
  resend.title = "put this message in the composer (edit it, send it here or to another session)";
  const marks = document.createElement("span");
  marks.className = "msg-marks";
  showMessageMarks(marks, m.annotations);
  const star = document.createElement("button");
  star.type = "button";
  star.className = "msg-star needs-operator";
  star.textContent = m.annotations?.starred ? "★" : "☆";
  star.setAttribute("aria-pressed", String(!!m.annotations?.starred));
  star.title = "star this message";
  const mark = document.createElement("button");
  mark.type = "button";
  mark.className = "msg-mark needs-operator";
  mark.textContent = "tag";
  mark.title = "give this message tags and a note";
  row._annotations = m.annotations ?? null;
  const compare = document.createElement("button");
  compare.type = "button";
  compare.className = "compare";
  compare.textContent = "compare";
  compare.title = "compare this message with another one (of this session or another): pick one, then the other";
  meta.append(" ", resend, " ", compare, " ", star, " ", mark, " ", marks);
  row._truncated = !!m.truncated;
  row.append(at, dir, summary, payload, meta);
  return row;
}

// Summaries that came before their message's row was drawn (the hub's decoded event can overtake the
// rendering of its traffic batch): kept, a bounded few, until the row is built.
const early = new Map();

/** A summary that arrived after its message (the hub's decoded event). */
export function showSummary(container, seq, text) {
  const row = container.querySelector(`.msg[data-seq="${seq}"] .summary`);
  if (row) { row.textContent = text; row.hidden = false; return; }
  early.set(seq, text);
  if (early.size > 1000) early.delete(early.keys().next().value);
}

export function fillPayload(payload, b64, view) {
  payload.replaceChildren();
  const data = decodeBase64(b64);
  if (view === "hex") renderHex(payload, data); else renderText(payload, data);
}

/** A message's star, tags and note, as its row shows them. */
export function showMessageMarks(target, a) {
  target.replaceChildren();
  if (!a) return;
  if (a.starred) target.append("★ ");
  for (const tag of a.tags ?? []) {
    const chip = document.createElement("span");
    chip.className = "tag-chip mark-chip";
    chip.textContent = "#" + tag;
    target.append(chip, " ");
  }
  if (a.note) {
    const note = document.createElement("span");
    note.className = "msg-note";
    note.textContent = a.note;
    target.append(note);
  }
}

/** A message's marks changed: its row's star button and marks follow. */
export function updateMessageMarks(row, a) {
  row._annotations = a;
  const star = row.querySelector(".msg-star");
  star.textContent = a?.starred ? "★" : "☆";
  star.setAttribute("aria-pressed", String(!!a?.starred));
  showMessageMarks(row.querySelector(".msg-marks"), a);
}
