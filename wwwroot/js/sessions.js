// The session list, the workbench's main pane: filtered, sorted and paged on the server (GET /api/sessions with
// q, listenerId, state, kind, tag, sort and a cursor), so it shows any number of sessions. Only the rows in view
// are in the DOM: every row has the same height and two spacer rows stand for the ones above and below, so ten
// thousand sessions scroll like ten. Pages load as the view nears the end of what is loaded; the first page is
// read again on each poll (live counters), and the hub's session events update the rows in between.
import { api } from "./api.js";
import { bytes, time } from "./format.js";

const ROW = 26;        // px: every row's height (app.css .sessions tbody tr)
const PAGE = 500;      // sessions per request
const OVERSCAN = 12;   // rows drawn beyond each edge of the view

export const SORTABLE = {
  id: "#", listenerId: "via", kind: "kind", remote: "remote", state: "state", openedAt: "opened",
  bytesIn: "in", bytesOut: "out", messagesIn: "msgs",
};

/**
 * @param {object} o
 * @param {HTMLElement} o.scroller  the element that scrolls (holds the table)
 * @param {HTMLTableElement} o.table
 * @param {HTMLElement} o.note      "1,234 sessions", "loading…", errors
 * @param {{q: HTMLInputElement, listener: HTMLSelectElement, state: HTMLSelectElement, kind: HTMLSelectElement, tag: HTMLInputElement}} o.filters
 * @param {Map<number, object>} o.sessions every session the page knows, by id (the list's and the selected one)
 * @param {() => number|null} o.selected
 * @param {(id: number) => void} o.onOpen
 * @param {(message: string) => void} o.onError
 */
export function createSessionList({ scroller, table, note, filters, sessions: byId, selected, onOpen, onError }) {
  let rows = [];                 // loaded sessions, in the server's order (byId: every session the page knows)
  let next = null;               // cursor of the page after the loaded ones
  let generation = 0;            // bumped by each new query: answers to older ones are dropped
  let loading = false;
  let sort = "-id";
  let cursorId = null;           // the row j/k moved to
  let drawQueued = false;
  const body = table.tBodies[0];

  function params(limit) {
    const p = new URLSearchParams({ state: filters.state.value || "all", sort, limit: String(limit) });
    const q = filters.q.value.trim(), tag = filters.tag.value.trim();
    if (q) p.set("q", q);
    if (tag) p.set("tag", tag);
    if (filters.listener.value) p.set("listenerId", filters.listener.value);
    if (filters.kind.value) p.set("kind", filters.kind.value);
    return p;
  }

  async function reload() {
    const g = ++generation;
    loading = true;
    note.textContent = "loading…";
    try {
      const page = await api(`/api/sessions?${params(PAGE)}`, { as: "page" });
      if (g !== generation) return;
      rows = page.items;
      next = page.next;
      rows.forEach((s) => byId.set(s.id, s));
      scroller.scrollTop = 0;
    } catch (err) {
      if (g === generation) { rows = []; next = null; onError(err.message); }
    } finally {
      if (g === generation) loading = false;
    }
    draw();
  }

  async function loadMore() {
    if (!next || loading) return;
    const g = generation;
    loading = true;
    try {
      const page = await api(`/api/sessions?${params(PAGE)}&cursor=${encodeURIComponent(next)}`, { as: "page" });
      if (g !== generation) return;
      const have = new Set(rows.map((s) => s.id));
      for (const s of page.items) { byId.set(s.id, s); if (!have.has(s.id)) rows.push(s); }
      next = page.next;
    } catch (err) {
      if (g === generation) onError(err.message);
    } finally {
      if (g === generation) loading = false;
    }
    draw();
  }

  /** The poll: the first page again (new sessions, live counters), merged so that the rows in view stay put. */
  async function refresh() {
    if (loading || scroller.scrollTop > PAGE * ROW / 2) return; // deeper down, the hub's events keep rows current
    const g = generation;
    try {
      const page = await api(`/api/sessions?${params(PAGE)}`, { as: "page" });
      if (g !== generation || loading) return;
      const firstShown = rows[Math.floor(scroller.scrollTop / ROW)]?.id;
      const last = page.items[page.items.length - 1];
      const at = last ? rows.findIndex((s) => s.id === last.id) : -1;
      const rest = at >= 0 ? rows.slice(at + 1) : [];
      const seen = new Set(page.items.map((s) => s.id));
      rows = page.items.concat(rest.filter((s) => !seen.has(s.id)));
      if (at < 0) next = page.next;
      page.items.forEach((s) => byId.set(s.id, s));
      // A new row above the view pushes it down by a row: scroll with it, so what one reads does not move.
      if (firstShown !== undefined && scroller.scrollTop > 0) {
        const now = rows.findIndex((s) => s.id === firstShown);
        if (now >= 0) scroller.scrollTop = now * ROW + (scroller.scrollTop % ROW);
      }
      draw();
    } catch { /* the status pill and the next poll tell */ }
  }

  /** Whether a session the hub announced belongs in this view (what the server's filter would say, as far as the page can tell). */
  function matches(s) {
    const state = filters.state.value || "all";
    if (state !== "all" && s.state !== state) return false;
    if (filters.listener.value && (s.listenerId ?? "").toLowerCase() !== filters.listener.value.toLowerCase()) return false;
    if (filters.kind.value && s.kind !== filters.kind.value) return false;
    const tag = filters.tag.value.trim();
    if (tag && !(s.annotations?.tags ?? []).includes(tag)) return false;
    const q = filters.q.value.trim().toLowerCase();
    return !q || [s.remote, s.local, s.upstream, s.listenerId, s.closeReason, ...(s.annotations?.tags ?? [])]
      .some((v) => v != null && String(v).toLowerCase().includes(q));
  }

  /** A session from the hub (opened, updated, closed) or from an action of this page. */
  function upsert(s) {
    byId.set(s.id, s);
    const at = rows.findIndex((r) => r.id === s.id);
    if (at >= 0) {
      if (matches(s) || !(filters.state.value === "open" && s.state === "closed")) rows[at] = s;
      else rows.splice(at, 1);
    } else if (sort === "-id" && matches(s) && (rows.length === 0 || s.id > rows[0].id)) {
      rows.unshift(s);
      if (scroller.scrollTop > 0) scroller.scrollTop += ROW;
    }
    queueDraw();
  }

  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; draw(); });
  }

  function spacer(height) {
    const tr = document.createElement("tr");
    tr.className = "spacer";
    tr.setAttribute("aria-hidden", "true");
    const td = document.createElement("td");
    td.colSpan = table.tHead.rows[0].cells.length;
    td.style.height = `${height}px`;
    td.style.padding = "0";
    td.style.border = "0";
    tr.append(td);
    tr.hidden = height === 0;
    return tr;
  }

  let slowestDraw = 0; // ms: what one scroll step costs the page (table's data-slowest-draw, for the curious and the tests)
  function draw() {
    const started = performance.now();
    const view = scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW) - OVERSCAN);
    const last = Math.min(rows.length, Math.ceil((scroller.scrollTop + view) / ROW) + OVERSCAN);
    const drawn = rows.slice(first, last).map(buildRow);
    body.replaceChildren(spacer(first * ROW), ...drawn, spacer((rows.length - last) * ROW));
    table.dataset.rows = rows.length;
    note.textContent = rows.length === 0 ? (loading ? "loading…" : "No sessions match.")
      : `${rows.length.toLocaleString("en")}${next ? "+" : ""} session${rows.length === 1 ? "" : "s"}`;
    slowestDraw = Math.max(slowestDraw, performance.now() - started);
    table.dataset.slowestDraw = slowestDraw.toFixed(1);
    if (next && last > rows.length - OVERSCAN * 4) loadMore();
  }

  function buildRow(s) {
    const tr = document.createElement("tr");
    tr.dataset.sessionId = s.id;
    tr.className = (s.state === "closed" ? "closed" : "") + (s.id === selected() ? " selected" : "") + (s.id === cursorId ? " cursor" : "");
    if (s.closeReason) tr.title = "closed: " + s.closeReason;
    const cell = (text, cls) => { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; };
    const badge = (td, text, cls, title) => {
      td.textContent = "";
      const b = document.createElement("span");
      b.className = "badge " + cls; b.textContent = text; if (title) b.title = title;
      td.append(b);
    };
    cell((s.annotations?.starred ? "★ " : "") + s.id, "num id");
    const via = cell((s.listenerId ?? "outbound") + (s.node ? ` · ${s.node}` : ""));
    if (s.node) via.title = `on node ${s.node}`;
    if (s.kind !== "accepted") badge(via, s.kind === "outbound" ? "→ outbound" : `⇄ ${s.listenerId}`, s.kind, s.upstream ? `relay to ${s.upstream}` : "");
    cell(s.remote, "remote");
    badge(cell(""), s.state, s.state);
    cell(time(s.openedAt), "at").title = s.openedAt;
    cell(bytes(s.bytesIn), "num");
    cell(bytes(s.bytesOut), "num");
    cell(`${s.messagesIn}/${s.messagesOut}`, "num");
    const tags = cell("", "tags");
    for (const t of s.annotations?.tags ?? []) {
      const chip = document.createElement("span");
      chip.className = "tag-chip";
      chip.textContent = t;
      tags.append(chip, " ");
    }
    if (s.annotations?.note) tags.title = s.annotations.note;
    return tr;
  }

  function setSort(field) {
    sort = sort === "-" + field ? field : sort === field ? "-" + field : (field === "remote" || field === "listenerId" || field === "kind" || field === "state" ? field : "-" + field);
    for (const th of table.tHead.rows[0].cells) {
      const f = th.dataset.sort;
      th.setAttribute("aria-sort", f === sort ? "ascending" : "-" + f === sort ? "descending" : "none");
    }
    reload();
  }

  // Filters: typing waits for a pause; the selects apply at once.
  let typing = 0;
  const later = () => { clearTimeout(typing); typing = setTimeout(reload, 200); };
  filters.q.addEventListener("input", later);
  filters.tag.addEventListener("input", later);
  for (const box of [filters.listener, filters.state, filters.kind]) box.addEventListener("change", reload);
  table.tHead.addEventListener("click", (e) => { const th = e.target.closest("th[data-sort]"); if (th) setSort(th.dataset.sort); });
  scroller.addEventListener("scroll", queueDraw, { passive: true });
  new ResizeObserver(queueDraw).observe(scroller);
  body.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-session-id]");
    if (tr) onOpen(Number(tr.dataset.sessionId));
  });

  return {
    reload, refresh, upsert, queueDraw,
    /** j/k: the cursor one row down or up, scrolled into view. */
    move(step) {
      if (!rows.length) return;
      const at = rows.findIndex((s) => s.id === (cursorId ?? selected()));
      const to = Math.min(rows.length - 1, Math.max(0, at < 0 ? 0 : at + step));
      cursorId = rows[to].id;
      const top = to * ROW, view = scroller.clientHeight - ROW; // the header row is sticky
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + ROW > scroller.scrollTop + view) scroller.scrollTop = top + ROW - view;
      draw();
    },
    cursor: () => cursorId,
    /** The listeners to filter by, kept in step with the gateway's. */
    listeners(ids) {
      const box = filters.listener;
      const have = [...box.options].slice(1).map((o) => o.value);
      if (have.join() === ids.join()) return;
      const chosen = box.value;
      box.replaceChildren(new Option("any listener", ""), ...ids.map((id) => new Option(id, id)));
      box.value = ids.includes(chosen) ? chosen : "";
      if (box.value !== chosen) reload(); // the listener filtered by is gone
    },
  };
}
