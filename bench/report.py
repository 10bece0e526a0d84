#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into the table printed and written to bench/results/latest.md."""
import json, os, platform, statistics, subprocess, sys
from datetime import datetime, timezone

out, target = sys.argv[1], sys.argv[2]
ticks = os.sysconf("SC_CLK_TCK")

def kv(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return {}
    text = open(path).read().strip()
    return dict(p.split("=", 1) for p in text.split() if "=" in p)

def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0].strip() or \
               subprocess.run(cmd, capture_output=True, text=True, timeout=10).stderr.splitlines()[0].strip()
    except Exception:
        return "?"

rows = [l.split() for l in open(os.path.join(out, "throughput.txt")).read().splitlines()[1:] if l.strip()]
by = {}
for variant, rnd, gbps, cpu, nbytes in rows:
    by.setdefault(variant, []).append((float(gbps), int(cpu), int(nbytes)))
med = {v: statistics.median(g for g, _, _ in runs) for v, runs in by.items()}
def per_cpu(v):
    runs = by[v]
    cpu = sum(c for _, c, _ in runs) / ticks
    return sum(b for _, _, b in runs) / cpu / 1e9 if cpu > 0 else float("nan")

lines = []
w = lines.append
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
w(f"# Socket Gateway benchmarks\n")
w(f"Run {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by `bench/run.sh` on {os.cpu_count()} × {cpu_model}, "
  f"Linux {platform.release()}, .NET {version(['dotnet', '--version'])}; {version(['socat', '-V'])[:40]}…, {version(['haproxy', '-v'])[:40]}, {version(['iperf3', '--version'])[:30]}.")
w("Relays are pinned to CPU 0, load generators to CPU 1. Figures are medians of interleaved rounds on a shared machine: compare ratios, not absolutes.\n")

w("## 1. TCP relay throughput (iperf3)\n")
w("| path | median Gbit/s | rounds | bytes per CPU-second of the relay (GB) |")
w("| --- | ---: | --- | ---: |")
for v in ["direct", "socat", "haproxy", "gw-none", "gw-watch", "gw-capture"]:
    if v in by:
        rounds = " ".join(f"{g:.2f}" for g, _, _ in by[v])
        w(f"| {v} | {med[v]:.2f} | {rounds} | {'' if v == 'direct' else f'{per_cpu(v):.2f}'} |")
d = [g for g, _, _ in by.get("direct", [])]
if d and (max(d) - min(d)) / statistics.median(d) > 0.25:
    w(f"\n**Noisy run:** the direct figure varied by {(max(d) - min(d)) / statistics.median(d):.0%} across rounds (over 25 %).")
w("")
w("| ratio | nobody watching | one hub client watching everything | full capture |")
w("| --- | ---: | ---: | ---: |")
for base in ["socat", "haproxy", "direct"]:
    w(f"| gateway / {base} | {med['gw-none'] / med[base]:.2f} | {med['gw-watch'] / med[base]:.2f} | {med['gw-capture'] / med[base]:.2f} |")

stats = json.load(open(os.path.join(out, "stats.json")))
listeners = {l["name"]: l for l in json.load(open(os.path.join(out, "listeners.json")))}
cap = stats["capture"]
relayed = listeners["relay-full"]["bytesIn"] + listeners["relay-full"]["bytesOut"]
exact = relayed == cap["bytesCaptured"] + cap["bytesDropped"] and cap["bytesPending"] == 0
w(f"\nCapture accounting (full-capture relay): relayed {relayed:,} bytes = captured {cap['bytesCaptured']:,} + dropped {cap['bytesDropped']:,}"
  f" (+ pending {cap['bytesPending']:,}): **{'exact' if exact else 'MISMATCH'}**.\n")

c = kv("conns.txt")
w("## 2. Many connections\n")
if c:
    w(f"{c['opened']} concurrent TCP sessions opened at {c['accept_per_s']} accepts/s; gateway RSS {int(c['rss_before'])/2**20:.0f} MiB → "
      f"{int(c['rss_idle'])/2**20:.0f} MiB idle = **{int(c['rss_per_session'])/1024:.1f} KiB per idle session**; with 100 of them chatting "
      f"({c['chat_msgs_per_s']} msg/s) {int(c['rss_chatty'])/2**20:.0f} MiB.\n")

w("## 3. Latency\n")
w("| round trip through | 64 B p50 / p99 / p99.9 (µs) | 16 KiB p50 / p99 / p99.9 (µs) |")
w("| --- | --- | --- |")
for who, name in [("gateway relay", "gw"), ("socat", "socat")]:
    cells = []
    for size in [64, 16384]:
        r = kv(f"pp-{name}-{size}.txt")
        cells.append(f"{r.get('p50_us','?')} / {r.get('p99_us','?')} / {r.get('p999_us','?')}")
    w(f"| {who} | {cells[0]} | {cells[1]} |")
wl = kv("watchlat.txt")
w(f"\nWatch latency (socket → hub client, 1,000 msg/s for 5 s, {wl.get('measured','?')} of {wl.get('sent','?')} measured): "
  f"p50 {wl.get('p50_ms','?')} ms, p99 {wl.get('p99_ms','?')} ms, max {wl.get('max_ms','?')} ms.\n")

f = kv("fanout.txt"); bd = kv("blast-dropped.txt")
blast = {}
for line in open(os.path.join(out, "blast.txt")).read().splitlines():
    kind, rest = line.split(" ", 1)
    blast.setdefault(kind, []).append(float(dict(p.split("=", 1) for p in rest.split())["mb_per_s"]))
bn = {"mb_per_s": statistics.median(blast["none"])} if "none" in blast else {}
bs = {"mb_per_s": statistics.median(blast["stalled"])} if "stalled" in blast else {}
w("## 4. Fan-out and slow observers\n")
w(f"{f.get('clients','?')} hub clients watching a {int(f.get('sent','0'))//5:,} msg/s stream: each received {f.get('delivered_per_client','?')} of {f.get('sent','?')} messages.")
ratio = bs["mb_per_s"] / bn["mb_per_s"] if bn and bs else float("nan")
w(f"Data plane (1 GiB into a listener, medians of 3 interleaved rounds: none {blast.get('none')}, stalled {blast.get('stalled')}): {bn.get('mb_per_s','?')} MB/s with no observer, {bs.get('mb_per_s','?')} MB/s with one stalled hub client "
  f"(ratio **{ratio:.2f}**), {bd.get('dropped','?')} events dropped and counted.\n")

u = kv("udp.txt")
w("## 5. UDP\n")
w(f"Highest rate received and watched without loss: **{u.get('lossless_per_s','?')} datagrams/s** (steps rate:received/sent:watched: {u.get('steps','?')}).\n")

w("## Targets\n")
pp = kv("watchlat.txt")
targets = [
    ("relay throughput with a hub client watching ≥ 1.0× socat", med["gw-watch"] / med["socat"] >= 1.0, f"{med['gw-watch'] / med['socat']:.2f}×"),
    ("relay throughput with full capture ≥ 0.5× socat", med["gw-capture"] / med["socat"] >= 0.5, f"{med['gw-capture'] / med['socat']:.2f}×"),
    ("watch latency p99 < 10 ms at 1,000 msg/s", float(pp.get("p99_ms", "inf")) < 10, f"{pp.get('p99_ms','?')} ms"),
    ("≤ 16 KiB RSS per idle TCP session", c and int(c["rss_per_session"]) <= 16 * 1024, f"{int(c['rss_per_session'])/1024:.1f} KiB" if c else "?"),
    ("a stalled hub client costs the data plane < 5 %", ratio >= 0.95, f"{ratio:.2f}×"),
]
w("| target | met | measured |")
w("| --- | --- | --- |")
for name, ok, value in targets:
    w(f"| {name} | {'yes' if ok else '**no**'} | {value} |")

text = "\n".join(lines) + "\n"
open(target, "w").write(text)
print(text)
