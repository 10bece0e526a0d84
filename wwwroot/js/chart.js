// Pictures of traffic, drawn with uPlot (lib/uplot, loaded by index.html):
// - createChart: live bytes/s in and out, for the whole gateway, one listener or the selected session: the hub's
//   "counters" event (cumulative totals, once a second; the sessions this page watches among them) turned into rates.
// - createTimeline: the selected session's messages over time, one point each (size, in or out); a click opens one.
import { bytes, time } from "./format.js";

const WINDOW = 120; // seconds shown
const SESSION = "@session";
const colours = () => {
  const style = getComputedStyle(document.documentElement);
  return { in: style.getPropertyValue("--in").trim() || "#0b6bcb", out: style.getPropertyValue("--out").trim() || "#1a7f37" };
};

export function createChart(host, scopeBox, rateText, selected) {
  const xs = [], ins = [], outs = [];
  let last = null;
  const c = colours();
  const plot = new uPlot({
    width: Math.max(240, host.clientWidth || 320), height: 120,
    legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [{ stroke: "var(--muted)", size: 24 }, { stroke: "var(--muted)", size: 50, values: (u, v) => v.map((b) => bytes(b) + "/s") }],
    series: [{}, { label: "in", stroke: c.in, width: 1.5 }, { label: "out", stroke: c.out, width: 1.5 }],
  }, [xs, ins, outs], host);
  new ResizeObserver(() => plot.setSize({ width: Math.max(240, host.clientWidth), height: 120 })).observe(host);
  const reset = () => { xs.length = ins.length = outs.length = 0; last = null; plot.setData([xs, ins, outs]); rateText.textContent = ""; };
  scopeBox.addEventListener("change", reset);

  return {
    /** One "counters" event. */
    add(counters) {
      const scope = scopeBox.value;
      const now = scope === SESSION ? (counters.sessions ?? []).find((s) => s.id === selected())
        : scope ? counters.listeners.find((l) => l.id === scope) : counters;
      if (!now) return;
      const t = Date.parse(counters.at) / 1000;
      if (last && t > last.t) {
        const rateIn = Math.max(0, (now.bytesIn - last.bytesIn) / (t - last.t));
        const rateOut = Math.max(0, (now.bytesOut - last.bytesOut) / (t - last.t));
        xs.push(t); ins.push(rateIn); outs.push(rateOut);
        if (xs.length > WINDOW) { xs.shift(); ins.shift(); outs.shift(); }
        plot.setData([xs, ins, outs]);
        rateText.textContent = `${bytes(rateIn)}/s in · ${bytes(rateOut)}/s out`;
        host.dataset.points = xs.length;
        host.dataset.lastIn = Math.round(rateIn);
      }
      last = { t, bytesIn: now.bytesIn, bytesOut: now.bytesOut };
    },
    /** Another session was selected: a session chart starts over. */
    sessionChanged() { if (scopeBox.value === SESSION) reset(); },
    /** Keeps the scope choices in step with the listeners. */
    listeners(ids) {
      const have = [...scopeBox.options].slice(2).map((o) => o.value);
      if (have.join() === ids.join()) return;
      const chosen = scopeBox.value;
      scopeBox.replaceChildren(new Option("whole gateway", ""), new Option("selected session", SESSION), ...ids.map((id) => new Option(`listener ${id}`, id)));
      scopeBox.value = chosen === SESSION || ids.includes(chosen) ? chosen : "";
    },
  };
}

const MAX_POINTS = 5000;

export function createTimeline(host, onPick) {
  let xs = [], ins = [], outs = [], seqs = [];
  const c = colours();
  const dots = (stroke) => ({ stroke, fill: stroke, width: 0, paths: () => null, points: { show: true, size: 6, stroke, fill: stroke } });
  const plot = new uPlot({
    width: Math.max(240, host.clientWidth || 320), height: 70,
    legend: { show: false },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { distr: 3, range: (u, min, max) => [1, Math.max(10, max * 2)] } },
    axes: [{ stroke: "var(--muted)", size: 22 }, { show: false }], // sizes on a log scale: higher is bigger; the row says how big
    series: [{}, { label: "in", ...dots(c.in) }, { label: "out", ...dots(c.out) }],
  }, [xs, ins, outs], host);
  new ResizeObserver(() => plot.setSize({ width: Math.max(240, host.clientWidth), height: 70 })).observe(host);
  const draw = () => { plot.setData([xs, ins, outs]); host.dataset.points = xs.length; };
  // A click opens the message nearest the pointer in time (pointerup: uPlot keeps the mouse events for its cursor).
  plot.over.addEventListener("pointerup", (e) => {
    if (!xs.length || e.button !== 0) return;
    const t = plot.posToVal(e.offsetX, "x");
    let best = 0;
    for (let i = 1; i < xs.length; i++) if (Math.abs(xs[i] - t) < Math.abs(xs[best] - t)) best = i;
    onPick(seqs[best]);
  });
  plot.over.title = "each message of this session: size by time (in, out); click one to open it";

  return {
    clear() { xs = []; ins = []; outs = []; seqs = []; draw(); },
    /** Messages of the selected session, as they are drawn in the list (any order; kept by time). */
    add(messages) {
      if (!messages.length) return;
      const points = messages.map((m) => ({ t: Date.parse(m.at) / 1000, size: Math.max(1, m.size), dir: m.direction, seq: m.seq }));
      const all = xs.map((t, i) => ({ t, size: ins[i] ?? outs[i], dir: ins[i] != null ? "in" : "out", seq: seqs[i] }));
      const seen = new Set(seqs);
      const merged = all.concat(points.filter((p) => !seen.has(p.seq))).sort((a, b) => a.t - b.t || a.seq - b.seq).slice(-MAX_POINTS);
      xs = merged.map((p) => p.t);
      ins = merged.map((p) => p.dir === "in" ? p.size : null);
      outs = merged.map((p) => p.dir === "out" ? p.size : null);
      seqs = merged.map((p) => p.seq);
      draw();
      host.title = `${merged.length} messages, ${time(new Date(xs[0] * 1000).toISOString())} to ${time(new Date(xs[xs.length - 1] * 1000).toISOString())}`;
    },
  };
}
