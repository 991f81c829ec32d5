#!/usr/bin/python3
"""Runs every benchmark scenario against rpcplugin's echo server and each baseline.

    bench/run.py --build-dir build-release [--quick] [--out FILE] [--only SUBSTRING]

Servers: rpcplugin-bench-server (ours), grpcpp-echo-server --api sync and --api callback
(gRPC C++ 1.51), go-echo-server (grpc-go 1.33), raw-echo-server (plain sockets: the
physical limit, for the scenarios it can play). Each server is pinned to the first
allowed CPU, the load generator (rpcplugin-bench, always rpcplugin's client) to the
second. For each transport all servers are started fresh, their idle RSS is read, then
repetition by repetition every scenario runs against every server in turn (so slow drift
of a shared machine spreads evenly), and the median of the repetitions is reported.

Prints one table per scenario with the ratio of our figures to each baseline, the goals,
and writes all figures as JSON (bench/results/<date>-<host>.json by default). Exits 1 if
any call failed or any server or run failed, never because of speed.
"""
import argparse
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name, workload, size, connections, streams, transport, raw equivalent
SCENARIOS = [
    ("unary-0B-unix-1x1", "unary", 0, 1, 1, "unix", "raw-pingpong"),
    ("unary-1KiB-unix-1x1", "unary", 1024, 1, 1, "unix", "raw-pingpong"),
    ("unary-1KiB-unix-1x32", "unary", 1024, 1, 32, "unix", None),
    ("unary-1KiB-unix-4x64", "unary", 1024, 4, 64, "unix", None),
    ("unary-64KiB-unix-1x1", "unary", 65536, 1, 1, "unix", "raw-pingpong"),
    ("unary-1MiB-unix-1x1", "unary", 1048576, 1, 1, "unix", "raw-pingpong"),
    ("server-stream-1KiB-unix-1x1", "server-stream", 1024, 1, 1, "unix", "raw-bulk"),
    ("server-stream-64KiB-unix-1x1", "server-stream", 65536, 1, 1, "unix", "raw-bulk"),
    ("bidi-1KiB-unix-1x1", "bidi", 1024, 1, 1, "unix", None),
    ("bidi-64KiB-unix-1x1", "bidi", 65536, 1, 1, "unix", None),
    ("unary-1KiB-tcp-1x1", "unary", 1024, 1, 1, "tcp", "raw-pingpong"),
    ("unary-1KiB-tcp-1x32", "unary", 1024, 1, 32, "tcp", None),
    ("server-stream-64KiB-tcp-1x1", "server-stream", 65536, 1, 1, "tcp", "raw-bulk"),
    ("unary-1KiB-tls-1x1", "unary", 1024, 1, 1, "tls", None),
    ("unary-1KiB-tls-1x32", "unary", 1024, 1, 32, "tls", None),
    ("server-stream-64KiB-tls-1x1", "server-stream", 65536, 1, 1, "tls", None),
]

SERVERS = ["rpcplugin", "grpcpp-sync", "grpcpp-callback", "grpc-go", "raw"]
LABELS = {
    "rpcplugin": "rpcplugin",
    "grpcpp-sync": "gRPC C++ sync",
    "grpcpp-callback": "gRPC C++ callback",
    "grpc-go": "grpc-go",
    "raw": "raw socket",
}

errors = []


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def human_size(n):
    if n >= 1 << 20:
        return "%d MiB" % (n >> 20)
    if n >= 1 << 10:
        return "%d KiB" % (n >> 10)
    return "%d B" % n


def read_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class Server:
    def __init__(self, name, cmd, cpu):
        self.name = name
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        self.proc = subprocess.Popen(pin + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            self.stop()
            raise RuntimeError("%s did not start: %r %s" % (name, line, err.strip()))
        self.address = line.split(" ", 1)[1]
        time.sleep(0.3)  # let it settle before reading its idle memory
        st = read_status(self.proc.pid)
        self.idle_rss_kib = st.get("VmRSS", -1)
        # Private (anonymous) memory: VmRSS also counts the shared libraries' file pages.
        self.idle_anon_kib = st.get("RssAnon", -1)

    def alive(self):
        return self.proc.poll() is None

    def peak_kib(self):
        return read_status(self.proc.pid).get("VmHWM", -1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def server_command(name, bins, transport, d, certs):
    listen = "unix:" + os.path.join(d, name + ".sock") if transport == "unix" else "127.0.0.1:0"
    tls = transport == "tls"
    if name == "rpcplugin":
        cmd = [bins["rpcplugin-bench-server"], "--listen", listen]
    elif name in ("grpcpp-sync", "grpcpp-callback"):
        cmd = [bins["grpcpp-echo-server"], "--api", name.split("-")[1], "--listen", listen]
    elif name == "grpc-go":
        cmd = [bins["go-echo-server"], "-listen", listen]
        if tls:
            cmd += ["-tls", "-cert", certs[0], "-key", certs[1]]
        return cmd
    else:
        return [bins["raw-echo-server"], "--listen", listen]
    if tls:
        cmd += ["--tls", "--cert", certs[0], "--key", certs[1]]
    return cmd


def make_certs(d):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")


def run_load(bins, scenario, server, workload, certs, timing, cpu):
    name, _, size, conns, streams, transport, _ = scenario
    cmd = [bins["rpcplugin-bench"], "--json", "--target", server.address, "--workload", workload,
           "--size", str(size), "--connections", str(conns), "--streams", str(streams),
           "--warmup", str(timing["warmup"]), "--duration", str(timing["duration"]),
           "--repetitions", "1", "--server-pid", str(server.proc.pid),
           "--label", "%s/%s" % (name, server.name)]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    if transport == "tls":
        cmd += ["--tls", "--ca", certs[0], "--server-name", "localhost"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60 + 3 * (timing["warmup"] + timing["duration"]))
    try:
        r = json.loads(p.stdout)
    except ValueError:
        r = {"errors": 1, "fatal": "no JSON from rpcplugin-bench: %s" % p.stderr.strip()[:300], "reps": []}
    if p.returncode != 0 or r.get("errors") or r.get("fatal"):
        errors.append("%s on %s: exit %d, %s errors, %s %s" % (
            name, server.name, p.returncode, r.get("errors"), r.get("fatal"), r.get("error_samples")))
    if not server.alive():
        errors.append("%s: server %s died" % (name, server.name))
    return r


def median_of(runs, key):
    vals = [r["median"][key] for r in runs if "median" in r and r["median"][key] is not None]
    vals = [v for v in vals if v >= 0] if key.startswith("server_cpu") else vals
    return statistics.median(vals) if vals else None


def summarize(runs):
    keys = ["ops_per_s", "calls_per_s", "mb_per_s", "p50_us", "p90_us", "p99_us", "p999_us",
            "max_us", "client_cpu_us_per_op", "server_cpu_us_per_op"]
    s = {k: median_of(runs, k) for k in keys}
    s["errors"] = sum(r.get("errors", 0) or 0 for r in runs)
    s["runs"] = len(runs)
    return s


def fmt(v, digits=1):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    return ("%." + str(digits) + "f") % v


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "-" if r is None else "%.2fx" % r


def print_table(scenario, results):
    name, workload, size, conns, streams, transport, _ = scenario
    streaming = workload != "unary"
    title = "%s %s, %s, %d connection%s x %d stream%s" % (
        workload, human_size(size), transport, conns, "" if conns == 1 else "s", streams,
        "" if streams == 1 else "s")
    rate_name = "msgs/s" if streaming else "calls/s"
    ours = results.get("rpcplugin")
    head = ("%-18s %10s %8s %8s %8s %8s %8s %9s %9s %6s   %s" %
            ("server", rate_name, "MB/s", "p50 us", "p90 us", "p99 us", "p99.9 us",
             "srv us/op", "cli us/op", "errors", "rpcplugin vs this: rate, p50, srv CPU"))
    print("\n" + name + ": " + title)
    print(head)
    print("-" * len(head))
    for server in SERVERS:
        s = results.get(server)
        if not s:
            continue
        line = "%-18s %10s %8s %8s %8s %8s %8s %9s %9s %6d" % (
            LABELS[server], fmt(s["ops_per_s"]), fmt(s["mb_per_s"]), fmt(s["p50_us"] or None),
            fmt(s["p90_us"] or None), fmt(s["p99_us"] or None), fmt(s["p999_us"] or None),
            fmt(s["server_cpu_us_per_op"], 2), fmt(s["client_cpu_us_per_op"], 2), s["errors"])
        if server != "rpcplugin" and ours:
            line += "   %s, %s, %s" % (fmt_ratio(ratio(ours["ops_per_s"], s["ops_per_s"])),
                                       fmt_ratio(ratio(ours["p50_us"], s["p50_us"] or None)),
                                       fmt_ratio(ratio(ours["server_cpu_us_per_op"], s["server_cpu_us_per_op"])))
        print(line)


def goals(summary, memory, startup):
    """The project's performance goals: (text, measured ratio, target, met?)."""
    out = []

    def get(scn, server, key):
        s = summary.get(scn, {}).get(server)
        return s.get(key) if s else None

    def best(scn, servers, key, lower_is_better=False):
        vals = [get(scn, s, key) for s in servers]
        vals = [v for v in vals if v is not None and v > 0]
        if not vals:
            return None
        return min(vals) if lower_is_better else max(vals)

    cpp = ["grpcpp-sync", "grpcpp-callback"]

    def add(text, measured, target, higher_is_better):
        met = None if measured is None else (measured >= target if higher_is_better else measured <= target)
        out.append({"goal": text, "ratio": measured, "target": target,
                     "higher_is_better": higher_is_better, "met": met})

    s = "unary-1KiB-unix-1x32"
    add("unary 1 KiB unix 1x32: RPS vs the better gRPC C++ server",
        ratio(get(s, "rpcplugin", "ops_per_s"), best(s, cpp, "ops_per_s")), 2.0, True)
    add("unary 1 KiB unix 1x32: RPS vs grpc-go",
        ratio(get(s, "rpcplugin", "ops_per_s"), get(s, "grpc-go", "ops_per_s")), 1.5, True)
    s = "unary-1KiB-unix-1x1"
    add("unary 1 KiB unix sequential: p50 vs the better gRPC C++ server",
        ratio(get(s, "rpcplugin", "p50_us"), best(s, cpp, "p50_us", True)), 0.5, False)
    add("unary 1 KiB unix sequential: p50 vs raw-socket round trip",
        ratio(get(s, "rpcplugin", "p50_us"), get(s, "raw", "p50_us")), 3.0, False)
    s = "server-stream-64KiB-unix-1x1"
    add("streaming 64 KiB unix: MB/s vs the better gRPC C++ server",
        ratio(get(s, "rpcplugin", "mb_per_s"), best(s, cpp, "mb_per_s")), 1.5, True)
    add("streaming 64 KiB unix: MB/s vs raw bulk copy",
        ratio(get(s, "rpcplugin", "mb_per_s"), get(s, "raw", "mb_per_s")), 0.5, True)
    s = "unary-1KiB-unix-1x32"
    add("server CPU per unary call (1 KiB unix 1x32) vs the leaner gRPC C++ server",
        ratio(get(s, "rpcplugin", "server_cpu_us_per_op"), best(s, cpp, "server_cpu_us_per_op", True)), 0.5, False)
    idle = {k: v.get("idle_rss_kib") for k, v in memory.items()}
    cpp_idle = [idle.get(k) for k in cpp if idle.get(k, -1) and idle.get(k, -1) > 0]
    add("idle server RSS vs the smaller gRPC C++ server",
        ratio(idle.get("rpcplugin"), min(cpp_idle) if cpp_idle else None), 0.25, False)
    anon = {k: v.get("idle_anon_kib") for k, v in memory.items()}
    cpp_anon = [anon.get(k) for k in cpp if anon.get(k, -1) and anon.get(k, -1) > 0]
    add("idle server anonymous RSS (without shared-library pages) vs gRPC C++",
        ratio(anon.get("rpcplugin"), min(cpp_anon) if cpp_anon else None), 0.25, False)
    add("plugin exec-to-handshake vs a gRPC C++ plugin",
        ratio(startup.get("rpcplugin", {}).get("median_ms"), startup.get("grpcpp", {}).get("median_ms")), 0.25, False)
    s = "unary-1KiB-tls-1x32"
    add("TLS unary 1 KiB 1x32: RPS vs the better gRPC C++ server",
        ratio(get(s, "rpcplugin", "ops_per_s"), best(s, cpp, "ops_per_s")), 1.5, True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build-release")
    ap.add_argument("--quick", action="store_true", help="short runs, one repetition (under 2 minutes)")
    ap.add_argument("--out", help="JSON output (default bench/results/<date>-<host>.json)")
    ap.add_argument("--only", help="run only scenarios whose name contains this")
    ap.add_argument("--servers", help="comma-separated subset of " + ",".join(SERVERS))
    ap.add_argument("--repetitions", type=int)
    ap.add_argument("--duration", type=float)
    ap.add_argument("--warmup", type=float)
    a = ap.parse_args()

    timing = {"warmup": 0.2, "duration": 0.5, "repetitions": 1} if a.quick else \
             {"warmup": 0.5, "duration": 2.5, "repetitions": 3}
    for k in ("repetitions", "duration", "warmup"):
        if getattr(a, k) is not None:
            timing[k] = getattr(a, k)
    servers = a.servers.split(",") if a.servers else SERVERS
    scenarios = [s for s in SCENARIOS if not a.only or a.only in s[0]]

    b = os.path.abspath(a.build_dir)
    bins = {
        "rpcplugin-bench": os.path.join(b, "bench", "rpcplugin-bench"),
        "rpcplugin-bench-server": os.path.join(b, "bench", "rpcplugin-bench-server"),
        "raw-echo-server": os.path.join(b, "bench", "raw-echo-server"),
        "grpcpp-echo-server": os.path.join(b, "bench", "baselines", "grpcpp", "grpcpp-echo-server"),
        "grpcpp-plugin": os.path.join(b, "bench", "baselines", "grpcpp", "grpcpp-plugin"),
        "go-echo-server": os.path.join(b, "bench", "go-echo-server"),
        "kv-plugin": os.path.join(b, "bench", "rpcplugin-kv-plugin"),
    }
    for k, path in bins.items():
        if not os.access(path, os.X_OK):
            print("error: %s is missing (%s); build with -Dbench_baselines=true (tools/run bench does)" % (k, path),
                  file=sys.stderr)
            return 1

    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, client_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    load_before = os.getloadavg()
    started = time.time()
    log("load average %.2f %.2f %.2f%s" % (load_before + (
        " (the machine is busy: figures will be noisy)" if load_before[0] > 0.5 else "",)))
    log("servers pinned to CPU %s, load generator to CPU %s; %s" % (
        server_cpu, client_cpu, "quick" if a.quick else "full") +
        " run: warm-up %gs, %gs x %d repetitions per scenario and server" % (
            timing["warmup"], timing["duration"], timing["repetitions"]))

    raw_runs = {}   # (scenario, server) -> [run json]
    memory = {}     # server -> {idle_rss_kib, peak_kib}
    with tempfile.TemporaryDirectory(prefix="rpcplugin-bench-") as d:
        certs = make_certs(d)
        for transport in ("unix", "tcp", "tls"):
            tscen = [s for s in scenarios if s[5] == transport]
            if not tscen:
                continue
            wanted = [s for s in servers if s != "raw" or (transport != "tls" and any(x[6] for x in tscen))]
            running = {}
            try:
                for name in wanted:
                    try:
                        running[name] = Server(name, server_command(name, bins, transport, d, certs), server_cpu)
                    except RuntimeError as e:
                        errors.append(str(e))
                if transport == "unix":
                    for name, srv in running.items():
                        memory[name] = {"idle_rss_kib": srv.idle_rss_kib, "idle_anon_kib": srv.idle_anon_kib}
                for rep in range(timing["repetitions"]):
                    for scn in tscen:
                        for name, srv in running.items():
                            if name == "raw":
                                if not scn[6]:
                                    continue
                                workload = scn[6]
                            else:
                                workload = scn[1]
                            log("%s on %s (%d/%d)" % (scn[0], name, rep + 1, timing["repetitions"]))
                            r = run_load(bins, scn, srv, workload, certs, timing, client_cpu)
                            raw_runs.setdefault((scn[0], name), []).append(r)
                if transport == "unix":
                    for name, srv in running.items():
                        memory[name]["peak_kib"] = srv.peak_kib()
            finally:
                for srv in running.values():
                    srv.stop()

        startup = {}
        runs = 3 if a.quick else 15
        env = ["RPCPLUGIN_KV_PLUGIN=kv", "PLUGIN_PROTOCOL_VERSIONS=1", "PLUGIN_UNIX_SOCKET_DIR=" + d]
        if not a.only or "startup" in a.only:
            for name, plugin in (("rpcplugin", bins["kv-plugin"]), ("grpcpp", bins["grpcpp-plugin"])):
                log("start-up of the %s plugin (%d runs)" % (name, runs))
                cmd = [bins["rpcplugin-bench"], "startup", "--json", "--runs", str(runs)]
                if server_cpu is not None:
                    cmd += ["--cpu", str(server_cpu)]
                for e in env:
                    cmd += ["--env", e]
                p = subprocess.run(cmd + ["--", plugin], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, timeout=300)
                try:
                    startup[name] = json.loads(p.stdout)
                except ValueError:
                    startup[name] = {"fatal": p.stderr.strip()}
                if p.returncode != 0:
                    errors.append("start-up of %s: %s" % (name, startup[name].get("fatal")))

    summary = {}
    for (scn, server), runs_ in raw_runs.items():
        summary.setdefault(scn, {})[server] = summarize(runs_)
    for scn in scenarios:
        if scn[0] in summary:
            print_table(scn, summary[scn[0]])

    print("\nserver memory, KiB (idle VmRSS / of which anonymous / peak VmHWM):")
    for k, v in memory.items():
        print("  %-18s %7s %7s %7s" % (LABELS[k], v.get("idle_rss_kib"), v.get("idle_anon_kib"), v.get("peak_kib")))
    if startup:
        print("start-up (exec to handshake line, median): " + ", ".join(
            "%s %.2f ms (RSS %s KiB)" % (k, v.get("median_ms", 0), fmt(v.get("rss_kib"), 0))
            for k, v in startup.items()))
    g = goals(summary, memory, startup)
    print("\ngoals (ratio = rpcplugin / baseline, measured in this run):")
    for x in g:
        state = "n/a" if x["met"] is None else ("met" if x["met"] else "MISSED")
        print("  %-78s %7s  target %s%.2fx  %s" % (x["goal"], fmt_ratio(x["ratio"]),
                                                   ">=" if x["higher_is_better"] else "<=", x["target"], state))
    load_after = os.getloadavg()
    print("\nload average before %.2f, after %.2f (2 cores shared: above ~0.5 the figures are noisy)" %
          (load_before[0], load_after[0]))

    doc = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "kernel": platform.release(),
        "cpus": len(cpus),
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "mode": "quick" if a.quick else "full",
        "timing": timing,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "seconds": time.time() - started,
        "summary": summary,
        "memory_kib": memory,
        "startup": startup,
        "goals": g,
        "runs": {"%s/%s" % k: v for k, v in raw_runs.items()},
        "errors": errors,
    }
    out = a.out or os.path.join(HERE, "results", "%s-%s.json" % (
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S"), socket.gethostname()))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
    print("results: " + out)
    if errors:
        print("\n%d ERRORS:" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
