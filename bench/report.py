#!/usr/bin/env python3
"""Turns bench/run.sh's raw results into the table printed and written to bench/results/latest.md.

Also writes the key figures as JSON beside it (latest.json); with BEFORE=path/to/an/earlier.json in the
environment, the targets table shows that run's figures beside this one's."""
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

redis = {}
if os.path.exists(os.path.join(out, "redis.txt")):
    for line in open(os.path.join(out, "redis.txt")).read().splitlines()[1:]:
        variant, rnd, rps = line.split()
        redis.setdefault(variant, []).append(float(rps))
rmed = {v: statistics.median(r) for v, r in redis.items()}
rd = kv("redis-dropped.txt")
if rmed:
    w("## 6. Small messages: redis-benchmark\n")
    w("`redis-benchmark -t ping,set,get -c 50` (geometric mean of the four tests' requests/s), interleaved rounds:\n")
    w("| path | median requests/s | rounds |")
    w("| --- | ---: | --- |")
    for v in ["direct", "haproxy", "gw-off", "gw-full-watch"]:
        if v in redis:
            w(f"| {v} | {rmed[v]:,.0f} | {' '.join(f'{x:,.0f}' for x in redis[v])} |")
    w(f"\nGateway / HAProxy: capture off **{rmed['gw-off'] / rmed['haproxy']:.2f}**, full capture with one hub client watching "
      f"**{rmed['gw-full-watch'] / rmed['haproxy']:.2f}**; messages lost to capture during these runs: **{rd.get('dropped', '?')}**.\n")

lossless = {"gateway": [], "dumpcap": []}
if os.path.exists(os.path.join(out, "lossless.txt")):
    for line in open(os.path.join(out, "lossless.txt")).read().splitlines()[1:]:
        who, asked, got, dropped = line.split()
        lossless[who].append((float(asked), float(got), dropped))
def highest_lossless(steps):
    # The rate asked for, once the step carried it (iperf3's own pacing lands a hair under it) and dropped nothing.
    best = 0.0
    for asked, got, dropped in steps:
        if dropped != "0" or got < 0.97 * asked:
            break
        best = asked
    return best
lg, ld = highest_lossless(lossless["gateway"]), highest_lossless(lossless["dumpcap"])
if lossless["gateway"]:
    w("## 7. Lossless capture\n")
    w("iperf3 at stepped rates (`-b`) through the full-capture relay, and the same rates sent directly while `dumpcap -i lo` captures them "
      "(each pinned to CPU 0). A step is lossless when nothing was dropped (the gateway: messages; dumpcap: packets).\n")
    w("| rate asked (Gbit/s) | gateway: got / dropped messages | dumpcap: got / dropped packets |")
    w("| ---: | --- | --- |")
    for (asked, got, dropped), (_, dgot, ddropped) in zip(lossless["gateway"], lossless["dumpcap"]):
        w(f"| {asked:g} | {got:.2f} / {dropped} | {dgot:.2f} / {ddropped} |")
    w(f"\nHighest lossless rate: gateway **{lg:.2f} Gbit/s**, dumpcap **{ld:.2f} Gbit/s**.\n")

pp = kv("watchlat.txt")
figures = {
    "watch_vs_socat": med["gw-watch"] / med["socat"],
    "none_vs_socat": med["gw-none"] / med["socat"],
    "none_vs_haproxy": med["gw-none"] / med["haproxy"],
    "capture_vs_socat": med["gw-capture"] / med["socat"],
    "redis_off_vs_haproxy": rmed["gw-off"] / rmed["haproxy"] if rmed else None,
    "redis_full_watch_vs_haproxy": rmed["gw-full-watch"] / rmed["haproxy"] if rmed else None,
    "redis_capture_dropped": int(rd["dropped"]) if rd.get("dropped", "").lstrip("-").isdigit() else None,
    "lossless_gateway_gbit": lg if lossless["gateway"] else None,
    "lossless_dumpcap_gbit": ld if lossless["dumpcap"] else None,
    "idle_session_kib": int(c["rss_per_session"]) / 1024 if c else None,
    "stalled_ratio": ratio,
    "watch_p99_ms": float(pp["p99_ms"]) if "p99_ms" in pp else None,
    "capture_exact": exact,
}
before = json.load(open(os.environ["BEFORE"])) if os.environ.get("BEFORE") and os.path.exists(os.environ["BEFORE"]) else {}

def show(key, fmt):
    value = figures.get(key)
    return "?" if value is None else fmt(value)
def was(key, fmt):
    value = before.get(key)
    return "" if value is None else fmt(value)
x = lambda v: f"{v:.2f}×"
targets = [
    ("iperf3, nobody watching ≥ 1.0× socat", figures["none_vs_socat"] >= 1.0, "none_vs_socat", x),
    ("iperf3, nobody watching ≥ 1.0× HAProxy", figures["none_vs_haproxy"] >= 1.0, "none_vs_haproxy", x),
    ("iperf3, one hub client watching everything ≥ 1.0× socat", figures["watch_vs_socat"] >= 1.0, "watch_vs_socat", x),
    ("iperf3, full capture ≥ 0.9× socat", figures["capture_vs_socat"] >= 0.9, "capture_vs_socat", x),
    ("redis-benchmark, capture off ≥ 1.0× HAProxy", (figures["redis_off_vs_haproxy"] or 0) >= 1.0, "redis_off_vs_haproxy", x),
    ("redis-benchmark, full capture + one hub client ≥ 0.9× HAProxy", (figures["redis_full_watch_vs_haproxy"] or 0) >= 0.9, "redis_full_watch_vs_haproxy", x),
    ("redis-benchmark, no message lost to capture", figures["redis_capture_dropped"] == 0, "redis_capture_dropped", str),
    ("lossless capture ≥ dumpcap's", (figures["lossless_gateway_gbit"] or 0) >= (figures["lossless_dumpcap_gbit"] or float("inf")), "lossless_gateway_gbit", lambda v: f"{v:.2f} Gbit/s"),
    ("lossless capture ≥ 2 Gbit/s", (figures["lossless_gateway_gbit"] or 0) >= 2.0, "lossless_gateway_gbit", lambda v: f"{v:.2f} Gbit/s"),
    ("≤ 4 KiB RSS per idle TCP session", (figures["idle_session_kib"] or 99) <= 4, "idle_session_kib", lambda v: f"{v:.1f} KiB"),
    ("a stalled hub client costs ≤ 3 %", ratio >= 0.97, "stalled_ratio", x),
    ("watch latency p99 < 5 ms at 1,000 msg/s", (figures["watch_p99_ms"] or 99) < 5, "watch_p99_ms", lambda v: f"{v:.2f} ms"),
    ("capture accounting exact to the byte", exact, "capture_exact", lambda v: "exact" if v else "MISMATCH"),
]
w("## Targets\n")
if before:
    w(f"Before: `{os.environ['BEFORE']}`. dumpcap's lossless rate this run: {show('lossless_dumpcap_gbit', lambda v: f'{v:.2f} Gbit/s')}"
      f"{' (before: ' + was('lossless_dumpcap_gbit', lambda v: f'{v:.2f} Gbit/s') + ')' if before.get('lossless_dumpcap_gbit') is not None else ''}.\n")
w("| target | met | before | now |")
w("| --- | --- | ---: | ---: |")
for name, ok, key, fmt in targets:
    w(f"| {name} | {'yes' if ok else '**no**'} | {was(key, fmt)} | {show(key, fmt)} |")
json.dump(figures, open(os.path.splitext(target)[0] + ".json", "w"), indent=1)

text = "\n".join(lines) + "\n"
open(target, "w").write(text)
print(text)
