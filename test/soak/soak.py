#!/usr/bin/python3
"""Soak test: long sequential large unary calls plus concurrent streams against the
interop server, watching the server's memory and file descriptors.

    soak.py --server rpcplugin-interop-server --client rpcplugin-soak-client
            [--seconds 600] [--calls 10000] [--size 1048576] [--streams 100]
            [--warmup SECONDS] [--rss-drift-pct 10] [--rss-slack-mib 8]

Starts the server on a fresh Unix socket and counts its open file descriptors
(/proc/PID/fd) before any client. Runs rpcplugin-soak-client (--calls sequential unary
calls of --size bytes each way, --streams concurrent FullDuplexCall ping-pong streams,
for at least --seconds) and samples the server's VmRSS and fd count at every progress
line. Fails when
  - the client reports any error (a non-OK status, a wrong payload, a broken stream);
  - the fd count under load changes between the end of the warm-up and the end of the
    run, or is not back to the pre-client count once the client has gone;
  - VmRSS at the end exceeds VmRSS after the warm-up by more than
    max(--rss-drift-pct % of it, --rss-slack-mib MiB) (the slack absorbs allocator noise
    of 1 MiB messages on a small heap);
  - the server dies, or does not exit cleanly (status 0) on SIGTERM.
Prints the samples and a summary line; exits 0 on success, 1 on failure.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--size", type=int, default=1024 * 1024)
    ap.add_argument("--streams", type=int, default=100)
    ap.add_argument("--warmup", type=float, help="seconds before the reference sample "
                    "(default: 20%% of --seconds, at least 3)")
    ap.add_argument("--rss-drift-pct", type=float, default=10.0)
    ap.add_argument("--rss-slack-mib", type=float, default=8.0)
    args = ap.parse_args()
    warmup = args.warmup if args.warmup is not None else max(3.0, args.seconds * 0.2)

    failures = []
    with tempfile.TemporaryDirectory(prefix="rpcplugin-soak-") as d:
        sock = os.path.join(d, "soak.sock")
        server = subprocess.Popen([args.server, "--listen", "unix:" + sock],
                                  stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline()
            if not line.startswith("READY"):
                print("FAIL server did not start: %r" % line)
                return 1
            pid = server.pid
            time.sleep(0.2)
            fds_idle = fd_count(pid)
            rss_idle = rss_kib(pid)
            print("server pid %d: idle VmRSS %d KiB, %d fds" % (pid, rss_idle, fds_idle))

            client = subprocess.Popen(
                [args.client, "--target", "unix:" + sock, "--seconds", str(args.seconds),
                 "--calls", str(args.calls), "--size", str(args.size),
                 "--streams", str(args.streams)],
                stdout=subprocess.PIPE, text=True)
            samples = []  # (elapsed, rss KiB, fds, calls, stream messages, errors)
            result = None
            errors = []
            for line in client.stdout:
                line = line.strip()
                if line.startswith("PROGRESS"):
                    kv = dict(p.split("=") for p in line.split()[1:])
                    if server.poll() is not None:
                        break
                    if kv.get("load") == "0":
                        continue  # the calls are over; the client is about to disconnect
                    samples.append((float(kv["seconds"]), rss_kib(pid), fd_count(pid),
                                    int(kv["calls"]), int(kv["stream_messages"]),
                                    int(kv["errors"])))
                    s = samples[-1]
                    if len(samples) % 10 == 1:
                        print("t=%4.0fs VmRSS %7d KiB fds %4d calls %6d stream messages %8d "
                              "errors %d" % s)
                        sys.stdout.flush()
                elif line.startswith("RESULT"):
                    result = dict(p.split("=") for p in line.split()[1:])
                elif line.startswith("ERROR"):
                    errors.append(line)
            rc = client.wait(timeout=60)
            if server.poll() is not None:
                print("FAIL the server died (status %d)" % server.returncode)
                return 1

            # Connections closed: the fd count returns to the idle one.
            fds_after = fds_idle
            for _ in range(50):
                fds_after = fd_count(pid)
                if fds_after == fds_idle:
                    break
                time.sleep(0.1)
            rss_after = rss_kib(pid)

            for e in errors:
                print(e)
            if rc != 0 or result is None or int(result.get("errors", 1)) != 0:
                failures.append("client: exit %d, %s" % (rc, result))
            loaded = [s for s in samples if s[0] >= warmup]
            if len(loaded) < 2:
                failures.append("too few samples after the warm-up (%d)" % len(loaded))
            else:
                ref, last = loaded[0], loaded[-1]
                drift = last[1] - ref[1]
                bound = max(ref[1] * args.rss_drift_pct / 100.0, args.rss_slack_mib * 1024)
                peak = max(s[1] for s in samples)
                print("VmRSS after warm-up (t=%.0fs) %d KiB, at the end (t=%.0fs) %d KiB: drift "
                      "%+d KiB (bound %d KiB), peak %d KiB, %d KiB after the client left" % (
                          ref[0], ref[1], last[0], last[1], drift, bound, peak, rss_after))
                if drift > bound:
                    failures.append("VmRSS drift %+d KiB exceeds %d KiB" % (drift, bound))
                fd_under_load = sorted(set(s[2] for s in loaded))
                print("fds: idle %d, under load %s, after the client left %d" % (
                    fds_idle, fd_under_load, fds_after))
                if len(fd_under_load) != 1:
                    failures.append("fd count changed under load: %s" % fd_under_load)
            if fds_after != fds_idle:
                failures.append("fds not released: %d idle, %d after" % (fds_idle, fds_after))
            if result:
                print("calls %s, stream messages %s, errors %s" % (
                    result.get("calls"), result.get("stream_messages"), result.get("errors")))
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    code = server.wait(timeout=30)
                    if code != 0:
                        failures.append("server exit status %d on SIGTERM" % code)
                except subprocess.TimeoutExpired:
                    server.kill()
                    failures.append("server did not exit on SIGTERM")

    for f in failures:
        print("FAIL " + f)
    print("soak %s" % ("failed" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
