#!/usr/bin/python3
"""End to end: the plugin runtime's rate limiter (PLUGIN_RATE_LIMIT_*) over a real socket.

    test_rate_limit.py --plugin PATH

Runs the example KV plugin with a bucket of 2 that refills once a minute, then, with
Debian's python3-grpcio: two Puts pass, the third is RESOURCE_EXHAUSTED "rate limit
exceeded", health Check still answers many times, and Controller.Shutdown still stops the
plugin (exit 0). Prints PASS/FAIL lines and "N passed, N failed".
"""
import argparse
import os
import subprocess
import sys
import tempfile

import grpc

results = []


def check(name, cond, why=""):
    results.append(cond)
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + why), flush=True)


def put_request(key, value):
    # kv.PutRequest{key = 1: string, value = 2: bytes}, encoded by hand (no stubs needed).
    k, v = key.encode(), value.encode()
    return b"\x0a" + bytes([len(k)]) + k + b"\x12" + bytes([len(v)]) + v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True)
    plugin = ap.parse_args().plugin
    with tempfile.TemporaryDirectory() as d:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RPCPLUGIN_KV_PLUGIN": "kv",
               "PLUGIN_UNIX_SOCKET_DIR": d, "PLUGIN_RATE_LIMIT_ENABLED": "true",
               "PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND": "0.0166", "PLUGIN_RATE_LIMIT_BURST_CAPACITY": "2"}
        p = subprocess.Popen([plugin], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        try:
            fields = p.stdout.readline().rstrip("\n").split("|")
            check("handshake", len(fields) >= 5 and fields[2] == "unix", repr(fields))
            ident = lambda b: b
            with grpc.insecure_channel("unix:" + fields[3]) as ch:
                put = ch.unary_unary("/kv.KV/Put", request_serializer=ident,
                                     response_deserializer=ident)
                health = ch.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=ident, response_deserializer=ident)
                shutdown = ch.unary_unary("/plugin.GRPCController/Shutdown",
                                          request_serializer=ident, response_deserializer=ident)
                for i in range(2):
                    put(put_request("k%d" % i, "v"), timeout=10)
                check("two Puts within the burst pass", True)
                try:
                    put(put_request("k3", "v"), timeout=10)
                    check("third Put refused", False, "it passed")
                except grpc.RpcError as e:
                    check("third Put refused: RESOURCE_EXHAUSTED 'rate limit exceeded'",
                          e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                          and e.details() == "rate limit exceeded",
                          "%s %r" % (e.code(), e.details()))
                ok = all(health(b"", timeout=10) == b"\x08\x01" for _ in range(20))
                check("health Check answers SERVING 20 times while the limiter refuses", ok)
                shutdown(b"", timeout=10)
                check("Controller.Shutdown answers while the limiter refuses", True)
            p.wait(timeout=10)
            check("exit 0 after Shutdown", p.returncode == 0, "exit %r" % p.returncode)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            err = p.stderr.read()
            if not all(results):
                print(err[-2000:])
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
