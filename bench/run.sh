#!/usr/bin/env bash
# Socket Gateway benchmark suite: builds Release, starts everything it needs on loopback, runs the
# workloads side by side with socat, HAProxy and a direct path, and prints a table (also written to
# bench/results/latest.md). See bench/README.md. Every process it starts binds 127.0.0.1 only.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/.out
RESULTS=$ROOT/bench/results
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
HTTP=http://127.0.0.1:5480
rm -rf "$OUT"; mkdir -p "$OUT" "$RESULTS"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; pkill -f "iperf3 -s -p 5201" 2>/dev/null; wait 2>/dev/null; }
trap cleanup EXIT
say() { printf '\n== %s\n' "$*" >&2; }

say "tools"
need=()
for tool in iperf3 socat haproxy taskset python3 curl; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
command -v redis-benchmark >/dev/null 2>&1 || need+=(redis-server) # redis-server, and redis-tools' redis-benchmark with it
command -v dumpcap >/dev/null 2>&1 || need+=(wireshark-common)     # dumpcap, Wireshark's capture engine
if [ ${#need[@]} -gt 0 ]; then
  [ " ${need[*]} " = " taskset " ] && need=(util-linux)
  # dumpcap's package asks whether non-root users may capture; answer no instead of prompting.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "bench: cannot install ${need[*]}" >&2; exit 1; }
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "fd limit: $(ulimit -n)" >&2
CPUS=$(nproc)
RELAY_CPU=0; LOAD_CPU=$(( CPUS > 1 ? 1 : 0 ))

say "build (Release)"
dotnet publish src/Gateway/Gateway.csproj -c Release -o "$OUT/gateway" >"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
dotnet publish bench/LoadGen/LoadGen.csproj -c Release -o "$OUT/loadgen" >>"$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; exit 1; }
LG() { taskset -c "$LOAD_CPU" dotnet "$OUT/loadgen/LoadGen.dll" "$@"; }
result() { grep '^RESULT' | tail -n1 | sed 's/^RESULT //'; }
field() { tr ' ' '\n' | grep "^$1=" | cut -d= -f2-; }

say "servers"
taskset -c "$LOAD_CPU" iperf3 -s -p 5201 -D --logfile "$OUT/iperf3-server.log"
taskset -c "$LOAD_CPU" dotnet "$OUT/loadgen/LoadGen.dll" echo --port 5401 --seconds 1800 >"$OUT/echo.log" 2>&1 & pids+=($!)
taskset -c "$RELAY_CPU" socat -b 65536 TCP-LISTEN:5301,reuseaddr,fork,nodelay,bind=127.0.0.1 TCP:127.0.0.1:5201,nodelay & SOCAT=$!; pids+=($SOCAT)
taskset -c "$RELAY_CPU" socat -b 65536 TCP-LISTEN:5402,reuseaddr,fork,nodelay,bind=127.0.0.1 TCP:127.0.0.1:5401,nodelay & pids+=($!)
cat >"$OUT/haproxy.cfg" <<CFG
global
  nbthread 1
  maxconn 1000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend bench
  bind 127.0.0.1:5305
  default_backend iperf
backend iperf
  server s1 127.0.0.1:5201
CFG
taskset -c "$LOAD_CPU" redis-server --port 5330 --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$OUT/redis.log" 2>&1 & pids+=($!)
cat >>"$OUT/haproxy.cfg" <<CFG
frontend redis
  bind 127.0.0.1:5333
  default_backend redis
backend redis
  server r1 127.0.0.1:5330
CFG
taskset -c "$RELAY_CPU" haproxy -f "$OUT/haproxy.cfg" -db >"$OUT/haproxy.log" 2>&1 & HAPROXY=$!; pids+=($HAPROXY)

L=0; listeners=()
listener() { listeners+=("--Gateway:Listeners:$L:Name=$1" "--Gateway:Listeners:$L:Protocol=$2" "--Gateway:Listeners:$L:Port=$3" "--Gateway:Listeners:$L:Capture=$4"); [ -n "${5:-}" ] && listeners+=("--Gateway:Listeners:$L:Upstream=$5"); case $1 in lat|fan) listeners+=("--Gateway:Listeners:$L:Framing=line");; esac; L=$((L + 1)); }
listener relay-off tcp 5302 off 127.0.0.1:5201
listener relay-watch tcp 5303 off 127.0.0.1:5201
listener relay-full tcp 5304 full 127.0.0.1:5201
listener blast tcp 5310 off
listener udpb udp 5311 off
listener lat-relay tcp 5313 off 127.0.0.1:5401
listener lat tcp 5314 off
listener fan tcp 5315 off
listener redis-off tcp 5331 off 127.0.0.1:5330
listener redis-full tcp 5332 full 127.0.0.1:5330
(cd "$OUT/gateway" && exec taskset -c "$RELAY_CPU" dotnet Gateway.dll --urls $HTTP "${listeners[@]}" \
   --ConnectionStrings:Capture="Data Source=$OUT/bench.db" --Gateway:Capture:MaxBytes=2000000000 \
   --Gateway:Limits:MaxSessionsPerListener=5000 --Gateway:Limits:MaxSessions=5000 --Gateway:Limits:RequestBurst=100000 \
   --Gateway:Tcp:Backlog=4096 --Serilog:MinimumLevel:Default=Warning) >"$OUT/gateway.log" 2>&1 & GATEWAY=$!; pids+=($GATEWAY)
for _ in $(seq 1 100); do curl -fs "$HTTP/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$HTTP/healthz" >/dev/null || { echo "gateway did not start"; cat "$OUT/gateway.log"; exit 1; }
sleep 1

cpu_of() { # utime+stime+cutime+cstime of a process, in clock ticks
  awk '{print $14+$15+$16+$17}' "/proc/$1/stat" 2>/dev/null || echo 0
}

say "1. TCP relay throughput: iperf3 ${SECONDS_PER_RUN}s x $ROUNDS interleaved rounds (relays on CPU $RELAY_CPU, load on CPU $LOAD_CPU)"
echo "variant round gbps cpu_ticks" >"$OUT/throughput.txt"
iperf() { taskset -c "$LOAD_CPU" iperf3 -c 127.0.0.1 -p "$1" -t "$SECONDS_PER_RUN" -J 2>/dev/null \
  | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['end']['sum_received']['bits_per_second']/1e9, d['end']['sum_received']['bytes'])"; }
for round in $(seq 1 "$ROUNDS"); do
  for variant in direct socat haproxy gw-none gw-watch gw-capture; do
    case $variant in
      direct) port=5201; pid=0 ;;
      socat) port=5301; pid=$SOCAT ;;
      haproxy) port=5305; pid=$HAPROXY ;;
      gw-none) port=5302; pid=$GATEWAY ;;
      gw-watch) port=5303; pid=$GATEWAY ;;
      gw-capture) port=5304; pid=$GATEWAY ;;
    esac
    watcher=""
    if [ $variant = gw-watch ]; then LG hubwatch --http $HTTP --seconds $((SECONDS_PER_RUN + 2)) >"$OUT/hubwatch.log" 2>&1 & watcher=$!; sleep 1.5; fi
    before=$( [ "$pid" -gt 0 ] && cpu_of "$pid" || echo 0 )
    read -r gbps bytes < <(iperf $port)
    after=$( [ "$pid" -gt 0 ] && cpu_of "$pid" || echo 0 )
    [ -n "$watcher" ] && wait "$watcher"
    echo "$variant $round ${gbps:-0} $((after - before)) ${bytes:-0}" >>"$OUT/throughput.txt"
    printf '  round %s %-10s %6.2f Gbit/s\n' "$round" "$variant" "${gbps:-0}" >&2
  done
done
curl -fs "$HTTP/api/messages?limit=1" >/dev/null # flushes the capture writer
curl -fs "$HTTP/api/stats" >"$OUT/stats.json"
curl -fs "$HTTP/api/listeners" >"$OUT/listeners.json"

say "2. 10,000 concurrent TCP sessions, then 100 of them chatting"
# A fresh gateway of its own, so that the throughput runs' heap does not count.
(cd "$OUT/gateway" && exec taskset -c "$RELAY_CPU" dotnet Gateway.dll --urls http://127.0.0.1:5481 --Gateway:Listeners:0:Port=5312 \
   --Gateway:Listeners:0:Capture=off --Gateway:Listeners:1:Port=0 --ConnectionStrings:Capture="Data Source=$OUT/conns.db" \
   --Gateway:Limits:MaxSessionsPerListener=15000 --Gateway:Limits:MaxSessions=15000 --Gateway:Tcp:Backlog=4096 \
   --Serilog:MinimumLevel:Default=Warning) >"$OUT/gateway-conns.log" 2>&1 & CONNS_GATEWAY=$!; pids+=($CONNS_GATEWAY)
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:5481/healthz >/dev/null 2>&1 && break; sleep 0.2; done
LG conns --port 5312 --count 10000 --chatty 100 --pid $CONNS_GATEWAY --http http://127.0.0.1:5481 | result >"$OUT/conns.txt"; cat "$OUT/conns.txt" >&2
kill $CONNS_GATEWAY

say "3. latency: ping-pong through the relay and through socat; watch latency at 1,000 msg/s"
for size in 64 16384; do
  LG pingpong --port 5313 --size $size --count 5000 | result >"$OUT/pp-gw-$size.txt"
  LG pingpong --port 5402 --size $size --count 5000 | result >"$OUT/pp-socat-$size.txt"
  echo "  $size B: gateway $(cat "$OUT/pp-gw-$size.txt") | socat $(cat "$OUT/pp-socat-$size.txt")" >&2
done
LG watchlat --port 5314 --listener lat --http $HTTP --rate 1000 --seconds 5 | result >"$OUT/watchlat.txt"; cat "$OUT/watchlat.txt" >&2

say "4. fan-out: 20 hub clients watching 5,000 msg/s; then a stalled client against the data plane"
LG fanout --port 5315 --http $HTTP --clients 20 --rate 5000 --seconds 5 | result >"$OUT/fanout.txt"; cat "$OUT/fanout.txt" >&2
dropped_before=$(curl -fs "$HTTP/api/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['dropped'])")
: >"$OUT/blast.txt"
for round in $(seq 1 "${STALL_ROUNDS:-7}"); do # interleaved: no observer, then one that stopped reading
  echo "none $(LG blast --port 5310 --mb 1024 | result)" >>"$OUT/blast.txt"
  echo "stalled $(LG blast --port 5310 --mb 1024 --stall --http $HTTP | result)" >>"$OUT/blast.txt"
done
dropped_after=$(curl -fs "$HTTP/api/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['dropped'])")
echo "dropped=$((dropped_after - dropped_before))" >"$OUT/blast-dropped.txt"
cat "$OUT/blast.txt" "$OUT/blast-dropped.txt" >&2

say "5. UDP: datagrams/s received and watched without loss"
LG udp --port 5311 --listener udpb --http $HTTP | result >"$OUT/udp.txt"; cat "$OUT/udp.txt" >&2

capture_dropped() { curl -fs "$HTTP/api/messages?limit=1" >/dev/null; curl -fs "$HTTP/api/stats" | python3 -c "import json,sys; c=json.load(sys.stdin)['capture']; print(c['messagesDropped'], c['bytesDropped'])"; }

say "6. small messages: redis-benchmark (-t ping,set,get -c 50) direct, through HAProxy and through the relay"
REDIS_N=${REDIS_N:-50000}
echo "variant round rps" >"$OUT/redis.txt"
rb() { taskset -c "$LOAD_CPU" redis-benchmark -h 127.0.0.1 -p "$1" -t ping,set,get -c 50 -n "$REDIS_N" -q --csv 2>/dev/null \
  | python3 -c "import csv,sys,statistics; r=[float(x['rps']) for x in csv.DictReader(sys.stdin)]; print(statistics.geometric_mean(r) if r else 0)"; }
read -r redis_dropped_before _ < <(capture_dropped)
for round in $(seq 1 "$ROUNDS"); do
  for variant in direct haproxy gw-off gw-full-watch; do
    case $variant in direct) port=5330 ;; haproxy) port=5333 ;; gw-off) port=5331 ;; gw-full-watch) port=5332 ;; esac
    watcher=""
    if [ $variant = gw-full-watch ]; then LG hubwatch --http $HTTP --seconds 30 >"$OUT/hubwatch-redis.log" 2>&1 & watcher=$!; sleep 1.5; fi
    rps=$(rb $port)
    [ -n "$watcher" ] && kill "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null
    echo "$variant $round ${rps:-0}" >>"$OUT/redis.txt"
    printf '  round %s %-14s %9.0f requests/s\n' "$round" "$variant" "${rps:-0}" >&2
  done
done
read -r redis_dropped_after _ < <(capture_dropped)
echo "dropped=$((redis_dropped_after - redis_dropped_before))" >"$OUT/redis-dropped.txt"; cat "$OUT/redis-dropped.txt" >&2

say "7. lossless capture: iperf3 at stepped rates through the full-capture relay, and dumpcap -i lo on the direct flow"
echo "who gbit_asked gbit_got dropped" >"$OUT/lossless.txt"
for rate in ${LOSSLESS_RATES:-0.5 1 2 3 4 6 8}; do
  read -r before _ < <(capture_dropped)
  got=$(taskset -c "$LOAD_CPU" iperf3 -c 127.0.0.1 -p 5304 -b "${rate}G" -t "$SECONDS_PER_RUN" -J 2>/dev/null \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e9)")
  read -r after _ < <(capture_dropped)
  echo "gateway $rate ${got:-0} $((after - before))" >>"$OUT/lossless.txt"
  # dumpcap on CPU 0 like the relay, capturing the same rate sent directly (loopback carries each packet once).
  taskset -c "$RELAY_CPU" dumpcap -i lo -f "tcp port 5201" -w "$OUT/dumpcap.pcapng" >"$OUT/dumpcap.log" 2>&1 & DUMPCAP=$!
  for _ in $(seq 1 50); do grep -q "Capturing on" "$OUT/dumpcap.log" 2>/dev/null && break; sleep 0.1; done
  got=$(taskset -c "$LOAD_CPU" iperf3 -c 127.0.0.1 -p 5201 -b "${rate}G" -t "$SECONDS_PER_RUN" -J 2>/dev/null \
    | python3 -c "import json,sys; print(json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e9)")
  sleep 0.5; kill -INT $DUMPCAP; wait $DUMPCAP 2>/dev/null
  # "Packets received/dropped on interface 'Loopback: lo': 12345/0 (pcap:0/dumpcap:0/flushed:0/ps_ifdrop:0)"
  dropped=$(grep -o "received/dropped on interface '[^']*': [0-9]*/[0-9]*" "$OUT/dumpcap.log" | sed 's#.*/##')
  echo "dumpcap $rate ${got:-0} ${dropped:-?}" >>"$OUT/lossless.txt"
  rm -f "$OUT/dumpcap.pcapng"
  tail -n2 "$OUT/lossless.txt" | sed 's/^/  /' >&2
done

curl -fs "$HTTP/api/stats" >"$OUT/stats-end.json"

say "report"
python3 bench/report.py "$OUT" "$RESULTS/latest.md"
