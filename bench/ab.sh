#!/usr/bin/env bash
# Interleaved A/B of two gateway builds: iperf3 through socat, then through a raw relay of each build
# (capture off, and capture full), round after round in one run and taking turns at going first, so that
# the machine's drift and the slot hit both alike. Usage: bench/ab.sh PUBLISH_DIR_A PUBLISH_DIR_B [ROUNDS] — each a `dotnet publish` output (run.sh
# leaves one in bench/.out/gateway). Prints the medians and B/A. Everything binds 127.0.0.1 only.
set -uo pipefail
A=${1:?publish dir of build A}; B=${2:?publish dir of build B}; ROUNDS=${3:-9}; SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
OUT=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; pkill -f "iperf3 -s -p 5601" 2>/dev/null; wait 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT
CPUS=$(nproc); RELAY_CPU=0; LOAD_CPU=$(( CPUS > 1 ? 1 : 0 ))
taskset -c "$LOAD_CPU" iperf3 -s -p 5601 -D --logfile "$OUT/iperf3.log"
taskset -c "$RELAY_CPU" socat TCP-LISTEN:5602,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:5601 & pids+=($!)
start() { # dir http-port none-port full-port
  (cd "$1" && exec taskset -c "$RELAY_CPU" dotnet Gateway.dll --urls "http://127.0.0.1:$2" \
     --Gateway:Listeners:0:Name=none --Gateway:Listeners:0:Protocol=tcp --Gateway:Listeners:0:Port="$3" --Gateway:Listeners:0:Capture=off --Gateway:Listeners:0:Upstream=127.0.0.1:5601 \
     --Gateway:Listeners:1:Name=full --Gateway:Listeners:1:Protocol=tcp --Gateway:Listeners:1:Port="$4" --Gateway:Listeners:1:Capture=full --Gateway:Listeners:1:Upstream=127.0.0.1:5601 \
     --ConnectionStrings:Capture="Data Source=$OUT/$2.db" --Gateway:Limits:MaxSessions=1000 --Serilog:MinimumLevel:Default=Warning) >"$OUT/$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "gateway in $1 did not start"; cat "$OUT/$2.log"; exit 1
}
start "$A" 5610 5611 5612
start "$B" 5620 5621 5622
iperf() { taskset -c "$LOAD_CPU" iperf3 -c 127.0.0.1 -p "$1" -t "$SECONDS_PER_RUN" -J 2>/dev/null \
  | python3 -c "import json,sys; d=json.load(sys.stdin); e=d.get('end', {}); print(e['sum_received']['bits_per_second']/1e9 if 'sum_received' in e else 'nan'); print(d.get('error', ''), file=sys.stderr)"; }
for round in $(seq 1 "$ROUNDS"); do
  # ABBA: the two builds take turns going first, so that whatever favours one slot favours both alike.
  if [ $((round % 2)) -eq 1 ]; then order="socat:5602 a-none:5611 b-none:5621 a-full:5612 b-full:5622"
  else order="socat:5602 b-none:5621 a-none:5611 b-full:5622 a-full:5612"; fi
  for variant in $order; do
    echo "${variant%%:*} $(iperf "${variant##*:}" 2>>"$OUT/errors.txt")" >>"$OUT/results.txt"
  done
  printf '  round %s done\n' "$round" >&2
done
grep -v '^$' "$OUT/errors.txt" | sort | uniq -c >&2
python3 - "$OUT/results.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
by = {}
for name, gbps in rows:
    if gbps != "nan":
        by.setdefault(name, []).append(float(gbps))
med = {k: statistics.median(v) for k, v in by.items()}
for k in ["socat", "a-none", "b-none", "a-full", "b-full"]:
    print(f"{k:7} median {med[k]:6.2f} Gbit/s  rounds {' '.join(f'{x:.2f}' for x in by[k])}")
for mode in ["none", "full"]:
    pairs = [b / a for a, b in zip(by[f"a-{mode}"], by[f"b-{mode}"])]  # round by round; slots alternate
    print(f"{mode}: A/socat {med['a-'+mode]/med['socat']:.2f}  B/socat {med['b-'+mode]/med['socat']:.2f}  B/A per round median {statistics.median(pairs):.2f} ({' '.join(f'{x:.2f}' for x in pairs)})")
PY
