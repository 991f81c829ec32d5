#!/usr/bin/python3
"""Smoke test of rpcplugin-bench: every workload for a moment, zero errors expected.

    smoke.py --bench BIN --server BIN --raw-server BIN --plugin BIN

Starts rpcplugin-bench-server (Unix socket, TCP, TLS with throwaway openssl certificates)
and raw-echo-server, runs rpcplugin-bench against them with a fixed small call count per
workload and checks the JSON (no errors, every operation counted, server CPU and memory
read), the in-process mode, and the start-up timer on the example plugin. It checks the
tool works; it measures nothing and does not depend on speed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures += 1


def start(cmd):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("READY "):
        p.kill()
        raise SystemExit("server did not start: %r (%s)" % (line, cmd))
    return p, line.split(" ", 1)[1]


def run_bench(bench, args, what, expect_ops):
    cmd = [bench, "--json", "--warmup", "0.05", "--repetitions", "2"] + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    try:
        r = json.loads(p.stdout)
    except ValueError:
        check(False, "%s: JSON output (%r, stderr %r)" % (what, p.stdout[:200], p.stderr[:400]))
        return None
    check(p.returncode == 0, "%s: exit status 0 (got %d; %s %s)" % (what, p.returncode, r.get("fatal"), r.get("error_samples")))
    check(r["errors"] == 0 and r["fatal"] == "", "%s: no errors" % what)
    check(len(r["reps"]) == 2, "%s: two repetitions" % what)
    if expect_ops:
        check(all(rep["operations"] >= expect_ops for rep in r["reps"]), "%s: each repetition did %d operations" % (what, expect_ops))
    check(r["median"]["ops_per_s"] > 0, "%s: a rate" % what)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--raw-server", required=True)
    ap.add_argument("--plugin", required=True)
    a = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="rpcplugin-bench-smoke-") as d:
        def sh(*args):
            subprocess.run(args, check=True, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=localhost",
           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        procs = []
        try:
            unix_srv, unix_addr = start([a.server, "--listen", "unix:" + os.path.join(d, "s.sock")])
            procs.append(unix_srv)
            tcp_srv, tcp_addr = start([a.server, "--listen", "127.0.0.1:0"])
            procs.append(tcp_srv)
            tls_srv, tls_addr = start([a.server, "--listen", "127.0.0.1:0", "--tls", "--cert", cert, "--key", key])
            procs.append(tls_srv)
            raw_srv, raw_addr = start([a.raw_server, "--listen", "unix:" + os.path.join(d, "raw.sock")])
            procs.append(raw_srv)

            pid = ["--server-pid", str(unix_srv.pid)]
            for size in ("0", "1KiB", "64KiB", "1MiB"):
                r = run_bench(a.bench, ["--target", unix_addr, "--workload", "unary", "--size", size,
                                        "--calls", "30"] + pid, "unary %s unix 1x1" % size, 30)
            if r:
                check(r["reps"][0]["server_cpu_s"] >= 0, "server CPU read from /proc")
                check(r["server_rss_start_kib"] > 0 and r["server_peak_kib"] >= r["server_rss_start_kib"],
                      "server RSS and peak read from /proc")
            run_bench(a.bench, ["--target", unix_addr, "--size", "1KiB", "--connections", "2",
                                "--streams", "8", "--calls", "200"] + pid, "unary 1KiB unix 2x8", 200)
            run_bench(a.bench, ["--target", unix_addr, "--streams", "4", "--duration", "0.3"] + pid,
                      "unary unix 1x4, timed repetitions", 0)
            run_bench(a.bench, ["--target", tcp_addr, "--calls", "50"], "unary tcp", 50)
            run_bench(a.bench, ["--target", tls_addr, "--tls", "--ca", cert, "--calls", "50"], "unary tls", 50)
            run_bench(a.bench, ["--target", unix_addr, "--workload", "server-stream", "--size", "64KiB",
                                "--stream-messages", "20", "--calls", "40"] + pid, "server-stream 64KiB", 40)
            run_bench(a.bench, ["--target", unix_addr, "--workload", "bidi", "--size", "1KiB",
                                "--calls", "200"] + pid, "bidi 1KiB", 200)
            run_bench(a.bench, ["--target", raw_addr, "--workload", "raw-pingpong", "--size", "1KiB",
                                "--calls", "100", "--server-pid", str(raw_srv.pid)], "raw ping-pong", 100)
            run_bench(a.bench, ["--target", raw_addr, "--workload", "raw-bulk", "--size", "64KiB",
                                "--calls", "100"], "raw bulk", 100)
            r = run_bench(a.bench, ["--in-process", "--transport", "unix", "--calls", "50"], "in-process unix", 50)
            if r:
                check(r["reps"][0]["server_cpu_s"] >= 0, "in-process server thread CPU")

            # A server that answers nothing sensible: the tool must fail, with status 1.
            p = subprocess.run([a.bench, "--target", "unix:" + os.path.join(d, "none.sock"), "--calls", "5",
                                "--warmup", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            check(p.returncode == 1 and "FAILED" in p.stdout, "no server: exit status 1")
            p = subprocess.run([a.bench, "--target", raw_addr, "--calls", "5", "--warmup", "0",
                                "--stop-on-error"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=30)
            check(p.returncode == 1, "gRPC load at a raw server: exit status 1")
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=10)

        env = {"RPCPLUGIN_KV_PLUGIN": "kv", "PLUGIN_PROTOCOL_VERSIONS": "1", "PLUGIN_UNIX_SOCKET_DIR": d}
        cmd = [a.bench, "startup", "--json", "--runs", "2"]
        for k, v in env.items():
            cmd += ["--env", "%s=%s" % (k, v)]
        p = subprocess.run(cmd + ["--", a.plugin], stdout=subprocess.PIPE, text=True, timeout=60)
        r = json.loads(p.stdout)
        check(p.returncode == 0 and r["runs"] == 2 and r["median_ms"] > 0 and r["rss_kib"] > 0,
              "start-up of the example plugin (%s)" % r.get("fatal"))
        check(r["handshake"].startswith("1|1|unix|"), "handshake line %r" % r["handshake"])
        p = subprocess.run([a.bench, "startup", "--runs", "1", "--", a.plugin], stdout=subprocess.PIPE, text=True, timeout=60)
        check(p.returncode == 1, "start-up without the cookie fails")

    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
