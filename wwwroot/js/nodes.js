// The cluster in the top bar: one chip per node (GET /api/nodes), with its state and open sessions; a lost
// node stands out. A gateway on its own lists itself as "local" and shows nothing here.
import { time } from "./format.js";

/** Draws the nodes into host (hidden for a single gateway); returns {count, open} of the active ones, or null for a single gateway. */
export function renderNodes(nodes, host) {
  const cluster = nodes.length > 1 || nodes.some((n) => n.id !== "local");
  host.hidden = !cluster;
  if (!cluster) return null;
  host.replaceChildren(...nodes.map((n) => {
    const chip = document.createElement("span");
    chip.className = "node-chip";
    chip.dataset.node = n.id;
    chip.dataset.state = n.state;
    chip.textContent = n.state === "active" ? `${n.id} · ${n.sessionsOpen} open` : `${n.id} · ${n.state}`;
    chip.title = `node ${n.id} at ${n.address}: ${n.state}, ${n.sessionsOpen} open sessions; started ${time(n.startedAt)}, last seen ${time(n.lastSeen)}`;
    return chip;
  }));
  const active = nodes.filter((n) => n.state === "active");
  return { count: active.length, open: active.reduce((sum, n) => sum + n.sessionsOpen, 0) };
}

/** A cluster listener's socket on each node, as one line: "n1 listening · n2 failed (why)"; empty on a single gateway. */
export function describeBindings(listener) {
  return (listener.nodes ?? [])
    .map((b) => `${b.node} ${b.state}${b.error ? ` (${b.error})` : ""}`)
    .join(" · ");
}
