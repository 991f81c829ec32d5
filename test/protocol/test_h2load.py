#!/usr/bin/python3
"""h2load drives UnaryCall over h2c without a single error.

    test_h2load.py --server rpcplugin-interop-server [--h2load h2load]

Starts a fresh server on a free loopback port and runs `h2load -n 2000 -c 4 -m 16` (4
connections, 16 concurrent streams each) posting a gRPC-framed SimpleRequest with
content-type application/grpc and te: trailers; h2load's summary must show every request
succeeded with a 2xx status. Then the server must be alive and answer a fresh UnaryCall.
"""
import os
import re
import subprocess

from protolib import (UNARY, Server, Suite, grpc_frame, parse_args, run_main,
                      simple_request)

REQUESTS = 2000


def run_h2load(exe, srv):
    body = os.path.join(srv.dir, "request.bin")
    with open(body, "wb") as f:
        f.write(grpc_frame(simple_request(16, b"ping" * 8)))
    cmd = [exe, "-n", str(REQUESTS), "-c", "4", "-m", "16", "-d", body,
           "-H", "content-type: application/grpc", "-H", "te: trailers",
           "http://127.0.0.1:%d%s" % (srv.port, UNARY)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    out = p.stdout
    assert p.returncode == 0, "h2load exit %d: %s%s" % (p.returncode, out[-800:], p.stderr)
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored", out)
    assert m, "no requests line in h2load output: %s" % out[-800:]
    total, _, done, ok, failed, errored = map(int, m.groups())
    assert (total, done, ok, failed, errored) == (REQUESTS, REQUESTS, REQUESTS, 0, 0), m.group(0)
    s = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    assert s and int(s.group(1)) == REQUESTS, "status codes: %s" % (s and s.group(0))


def main():
    args = parse_args(("--h2load", {"default": "h2load"}))
    with Server(args.server, "tcp") as srv:
        t = Suite(srv)
        t.case("h2load_unary_%d_requests" % REQUESTS, lambda: run_h2load(args.h2load, srv))
        return t.finish()


if __name__ == "__main__":
    run_main(main)
