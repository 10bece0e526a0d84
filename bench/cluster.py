#!/usr/bin/env python3
"""The cluster's figures: sessions per node through HAProxy, cross-node inject latency (p50/p99, with the
same-node figure beside it) and failover time after a kill -9. Starts its own PostgreSQL (initdb in a temp
folder, as the postgres user when root), redis-server, three Release nodes on 127.0.0.11-13 and HAProxy;
stops them all. Writes bench/results/cluster.md.

    python3 bench/cluster.py            # SESSIONS=3000 INJECTS=2000 by default (a p99 of 500 sends moved between 10 and 30 ms from run to run here)
"""
import json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSIONS = int(os.environ.get("SESSIONS", "3000"))
INJECTS = int(os.environ.get("INJECTS", "2000"))
procs, tmp = [], tempfile.mkdtemp(prefix="gw-cluster-bench-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*args):
    pgbin = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    cmd = [f"/usr/lib/postgresql/{pgbin}/bin/{args[0]}", *args[1:]]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def api(node, path, body=None, method=None):
    req = urllib.request.Request(f"{node}{path}", method=method or ("POST" if body is not None else "GET"),
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read()
        return json.loads(text) if text else None


def wait(what, probe, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            got = probe()
            if got:
                return got
        except Exception:
            pass
        time.sleep(0.1)
    raise TimeoutError(what)


def main():
    os.chmod(tmp, 0o777)
    pg_port, redis_port, front = free_port(), free_port(), free_port()
    as_postgres("initdb", "-D", f"{tmp}/pg", "-U", "postgres", "--auth=trust", "--no-sync")
    as_postgres("pg_ctl", "-D", f"{tmp}/pg", "-l", f"{tmp}/pg.log", "-w", "-o",
                f"-p {pg_port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
    procs.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL))
    out = f"{tmp}/gateway"
    subprocess.run(["dotnet", "publish", f"{ROOT}/src/Gateway", "-c", "Release", "-o", out, "-v", "q"], check=True, stdout=subprocess.DEVNULL)
    nodes, listener_port = {}, free_port()
    for i in (1, 2, 3):
        address, http = f"127.0.0.1{i}", free_port()
        args = ["dotnet", f"{out}/Gateway.dll", "--urls", f"http://{address}:{http}", "--AllowedHosts=*",
                f"--Gateway:Listeners:0:Address={address}", "--Gateway:Listeners:0:Port=0",
                f"--Gateway:Listeners:1:Address={address}", "--Gateway:Listeners:1:Port=0",
                "--Gateway:Cluster:Enabled=true", f"--Gateway:Cluster:NodeId=n{i}", f"--Gateway:Cluster:Address={address}",
                f"--Gateway:Cluster:SiloPort={free_port()}", f"--ConnectionStrings:Cluster=Host=127.0.0.1;Port={pg_port};Username=postgres;Database=postgres",
                f"--ConnectionStrings:Redis=127.0.0.1:{redis_port}", f"--ConnectionStrings:Capture=Data Source={tmp}/n{i}.db",
                "--Serilog:MinimumLevel:Default=Warning", "--Gateway:Limits:RequestsPerSecond=100000", "--Gateway:Limits:RequestBurst=100000"]
        procs.append(subprocess.Popen(args, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        nodes[f"n{i}"] = (f"http://{address}:{http}", address, procs[-1])
    n1 = nodes["n1"][0]
    wait("three active nodes", lambda: [n for n in api(n1, "/api/nodes") if n["state"] == "active"].__len__() == 3)
    api(n1, "/api/listeners", {"name": "bench", "protocol": "tcp", "port": listener_port})
    wait("bound everywhere", lambda: all(b["state"] == "listening" for l in api(n1, "/api/listeners") if l["id"] == "bench" for b in l["nodes"]))
    with open(f"{tmp}/haproxy.cfg", "w") as f:
        f.write("defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5m\n  timeout server 5m\n  maxconn 20000\n"
                f"frontend f\n  bind 127.0.0.1:{front}\n  maxconn 20000\n  default_backend b\nbackend b\n  balance roundrobin\n"
                "  default-server check inter 300ms fall 1 rise 2 maxconn 10000\n"
                + "".join(f"  server {n} {a}:{listener_port}\n" for n, (_, a, _) in nodes.items()))
    procs.append(subprocess.Popen(["haproxy", "-f", f"{tmp}/haproxy.cfg", "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait("haproxy", lambda: socket.create_connection(("127.0.0.1", front), timeout=1).close() or True)

    # 1. Sessions per node, through the balancer.
    clients, t0 = [], time.time()
    for _ in range(SESSIONS):
        c = socket.create_connection(("127.0.0.1", front), timeout=10)
        c.sendall(b"hi")
        clients.append(c)
    per_node = wait("sessions counted", lambda: (lambda ns: ns if sum(n["sessionsOpen"] for n in ns) >= SESSIONS else None)(api(n1, "/api/nodes")), 120)
    opened = time.time() - t0
    for c in clients:
        c.close()

    # 2. Inject latency: a client of n2, driven from n1 (cross-node) and from n2 (same node).
    def inject(driver):
        c = socket.create_connection((nodes["n2"][1], listener_port), timeout=10)
        c.sendall(b"hi")
        remote = "%s:%d" % c.getsockname()
        sid = wait("the session", lambda: [s["id"] for s in api(driver, "/api/sessions") if s["remote"] == remote][0])
        samples = []
        for i in range(INJECTS):
            start = time.perf_counter()
            api(driver, f"/api/sessions/{sid}/send", {"data": "x"})
            c.recv(16)
            samples.append((time.perf_counter() - start) * 1000)
        c.close()
        samples.sort()
        return samples[len(samples) // 2], samples[int(len(samples) * 0.99) - 1]

    cross, local = inject(n1), inject(nodes["n2"][0])

    # 3. Failover: kill -9 of n3 with a session open; until the others call it lost and close its session "node lost".
    c = socket.create_connection((nodes["n3"][1], listener_port), timeout=10)
    c.sendall(b"hi")
    remote = "%s:%d" % c.getsockname()
    sid = wait("n3's session", lambda: [s["id"] for s in api(n1, "/api/sessions") if s["remote"] == remote][0])
    nodes["n3"][2].send_signal(signal.SIGKILL)
    killed = time.time()
    wait("n3 lost", lambda: [n for n in api(n1, "/api/nodes") if n["id"] == "n3" and n["state"] == "lost"], 60)
    lost = time.time() - killed
    wait("its session closed", lambda: api(n1, f"/api/sessions/{sid}")["closeReason"] == "node lost", 60)
    closed = time.time() - killed

    cpu = open("/proc/cpuinfo").read().count("processor\t:")
    rows = [
        "# Cluster figures",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on this machine ({cpu} cores, shared): three Release nodes on "
        "127.0.0.11-13, PostgreSQL 15, redis-server and HAProxy (round robin, `check inter 300ms`) on the same machine. `python3 bench/cluster.py`.",
        "",
        "| figure | value |",
        "| --- | --- |",
        f"| sessions opened through HAProxy | {SESSIONS} in {opened:.1f} s |",
        "| sessions per node | " + ", ".join(f"{n['id']} {n['sessionsOpen']}" for n in per_node) + " |",
        f"| inject latency, cross-node (REST on n1, session on n2, until the client reads it; {INJECTS} sends) | p50 {cross[0]:.2f} ms, p99 {cross[1]:.2f} ms |",
        f"| inject latency, same node (REST on n2) | p50 {local[0]:.2f} ms, p99 {local[1]:.2f} ms |",
        f"| failover: kill -9 of n3 until n1 lists it lost | {lost:.1f} s |",
        f"| failover: kill -9 of n3 until its session reads closed, `node lost`, on n1 | {closed:.1f} s |",
        "",
    ]
    os.makedirs(f"{ROOT}/bench/results", exist_ok=True)
    with open(f"{ROOT}/bench/results/cluster.md", "w") as f:
        f.write("\n".join(rows))
    print("\n".join(rows))


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    try:
        as_postgres("pg_ctl", "-D", f"{tmp}/pg", "-m", "immediate", "stop")
    except Exception:
        pass
    shutil.rmtree(tmp, ignore_errors=True)
