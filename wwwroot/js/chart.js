// Live bytes/s in and out, for the whole gateway or one listener: the hub's "counters" event (cumulative
// totals, once a second) turned into rates and drawn with uPlot (lib/uplot, loaded by index.html).
import { bytes } from "./format.js";

const WINDOW = 120; // seconds shown

export function createChart(host, scopeBox, rateText) {
  const xs = [], ins = [], outs = [];
  let last = null;
  const plot = new uPlot({
    width: Math.max(240, host.clientWidth || 320), height: 120,
    legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    axes: [{ stroke: "var(--muted)", size: 24 }, { stroke: "var(--muted)", size: 50, values: (u, v) => v.map((b) => bytes(b) + "/s") }],
    series: [{}, { label: "in", stroke: "#0b6bcb", width: 1.5 }, { label: "out", stroke: "#1a7f37", width: 1.5 }],
  }, [xs, ins, outs], host);
  new ResizeObserver(() => plot.setSize({ width: Math.max(240, host.clientWidth), height: 120 })).observe(host);
  scopeBox.addEventListener("change", () => { xs.length = ins.length = outs.length = 0; last = null; plot.setData([xs, ins, outs]); rateText.textContent = ""; });

  return {
    /** One "counters" event. */
    add(counters) {
      const scope = scopeBox.value;
      const now = scope ? counters.listeners.find((l) => l.id === scope) : counters;
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
    /** Keeps the scope choices in step with the listeners. */
    listeners(ids) {
      const have = [...scopeBox.options].slice(1).map((o) => o.value);
      if (have.join() === ids.join()) return;
      const chosen = scopeBox.value;
      scopeBox.replaceChildren(new Option("whole gateway", ""), ...ids.map((id) => new Option(`listener ${id}`, id)));
      scopeBox.value = ids.includes(chosen) ? chosen : "";
    },
  };
}
