// The decoded view of one message: its field tree beside its bytes in hex. Selecting a field highlights the
// bytes it covers; selecting a byte selects the innermost field that covers it.
import { api } from "./api.js";
import { decodeBase64, hex2 } from "./format.js";

/**
 * Opens (or closes, when open) the decoded view under a message row: the server's reading, or `local`'s
 * (a function of the message's bytes, for decoders that run in the browser) when given.
 */
export async function toggleDecoded(row, sessionId, local) {
  const open = row.querySelector(".decoded");
  if (open) { open.remove(); return; }
  const panel = document.createElement("div");
  panel.className = "decoded";
  panel.textContent = "decoding…";
  row.append(panel);
  try {
    const data = decodeBase64(row._data);
    const decoded = local ? await local(data) : await api(`/api/sessions/${sessionId}/messages/${row.dataset.seq}/decoded`);
    render(panel, decoded, data);
  } catch (e) {
    panel.className = "decoded error";
    panel.textContent = e.message;
  }
}

function render(panel, decoded, data) {
  panel.replaceChildren();
  const tree = document.createElement("ul");
  tree.className = "fields";
  tree.setAttribute("role", "tree");
  tree.setAttribute("aria-label", `${decoded.decoder} fields`);
  const hex = document.createElement("div");
  hex.className = "bytes";
  const cells = [];
  for (let i = 0; i < data.length; i++) {
    if (i && i % 16 === 0) hex.append(document.createElement("br"));
    const cell = document.createElement("span");
    cell.className = "byte";
    cell.dataset.offset = i;
    cell.textContent = hex2(data[i]);
    cell.title = `byte ${i}`;
    cells.push(cell);
    hex.append(cell);
  }
  const items = [];
  const add = (list, field, depth) => {
    const li = document.createElement("li");
    li.setAttribute("role", "treeitem");
    const label = document.createElement("span");
    label.className = "field" + (field.name === "error" ? " error" : "");
    label.tabIndex = 0;
    label.dataset.offset = field.offset;
    label.dataset.length = field.length;
    label.textContent = `${field.name}: ${field.display}`;
    label.title = `bytes ${field.offset}–${field.offset + field.length - 1} (${field.length})`;
    label._depth = depth;
    items.push(label);
    li.append(label);
    if (field.children?.length) {
      const inner = document.createElement("ul");
      inner.setAttribute("role", "group");
      for (const child of field.children) add(inner, child, depth + 1);
      li.append(inner);
    }
    list.append(li);
  };
  for (const field of decoded.fields) add(tree, field, 0);

  const select = (label) => {
    for (const l of items) l.classList.toggle("selected", l === label);
    const from = Number(label.dataset.offset), to = from + Number(label.dataset.length);
    cells.forEach((c, i) => c.classList.toggle("highlight", i >= from && i < to));
  };
  tree.addEventListener("click", (e) => { const label = e.target.closest(".field"); if (label) select(label); });
  tree.addEventListener("keydown", (e) => { const label = e.target.closest(".field"); if (label && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(label); } });
  hex.addEventListener("click", (e) => {
    const cell = e.target.closest(".byte");
    if (!cell) return;
    const at = Number(cell.dataset.offset);
    // The innermost (deepest, then shortest) field covering the byte.
    const covering = items.filter((l) => at >= Number(l.dataset.offset) && at < Number(l.dataset.offset) + Number(l.dataset.length));
    covering.sort((a, b) => b._depth - a._depth || Number(a.dataset.length) - Number(b.dataset.length));
    if (covering.length) { select(covering[0]); covering[0].scrollIntoView({ block: "nearest" }); }
  });

  const head = document.createElement("div");
  head.className = "decoded-head";
  head.textContent = `${decoded.decoder}: ${decoded.summary}`;
  const body = document.createElement("div");
  body.className = "decoded-body";
  body.append(tree, hex);
  panel.append(head, body);
}
