#!/usr/bin/python3
"""plugin.GRPCStdio and wait_for_server_ready, process by process, to the spec (go-plugin
1.0.1 has no GRPCStdio, so python3-grpcio plays a newest host).

    test_stdio_process.py --probe PATH --protoc PATH --proto-dir DIR

PATH is test/goplugin/stdio_probe.cpp built. Each case starts the probe with go-plugin's
environment, reads the handshake line, streams plugin.GRPCStdio/StreamStdio and checks
what arrives on each channel, that the real stdout holds the handshake line alone and the
real stderr the runtime's hclog lines (and none of the captured text), then stops the
probe with plugin.GRPCController/Shutdown (exit 0 within 2 s). Prints PASS/FAIL lines and
"N passed, N failed".
"""
import argparse
import base64
import importlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import grpc

COOKIE = {"RPCPLUGIN_PROBE": "probe"}
results = []


def check(name, cond, why=""):
    results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + why), flush=True)


def build_stubs(protoc, proto_dir, out):
    subprocess.run([protoc, "-I" + proto_dir, "--python_out=" + out,
                    "plugin/grpc_stdio.proto", "plugin/grpc_controller.proto"], check=True)
    sys.path.insert(0, out)
    return (importlib.import_module("plugin.grpc_stdio_pb2"),
            importlib.import_module("plugin.grpc_controller_pb2"))


def make_host_cert(d):
    """A go-plugin style host certificate (EC P-256, CN/SAN localhost, client+server auth)."""
    key, cert = os.path.join(d, "host.key"), os.path.join(d, "host.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/O=HashiCorp/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost",
                    "-addext", "extendedKeyUsage=clientAuth,serverAuth",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=digitalSignature,keyEncipherment,keyAgreement,keyCertSign"],
                   check=True, capture_output=True)
    return open(cert, "rb").read(), open(key, "rb").read()


class Probe:
    """The probe process, its handshake line, and its real stdout/stderr collected."""

    def __init__(self, probe, env):
        full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        full.update(COOKIE)
        full.update(env)
        self.p = subprocess.Popen([probe], env=full, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.line = self.p.stdout.readline().decode()
        self.stdout_rest = b""
        self.stderr = b""
        self._err = threading.Thread(target=self._read_err)
        self._err.start()

    def _read_err(self):
        self.stderr = self.p.stderr.read()

    def fields(self):
        return self.line.rstrip("\n").split("|")

    def finish(self, timeout=5):
        try:
            self.stdout_rest = self.p.stdout.read()
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self._err.join()
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.finish()


def channel_for(fields, host_cert=None, host_key=None):
    target = "unix:" + fields[3] if fields[2] == "unix" else fields[3]
    if not host_cert:
        return grpc.insecure_channel(target)
    der = base64.b64decode(fields[5] + "=" * (-len(fields[5]) % 4))
    server_pem = ssl.DER_cert_to_PEM_cert(der).encode()
    creds = grpc.ssl_channel_credentials(root_certificates=server_pem, private_key=host_key,
                                         certificate_chain=host_cert)
    return grpc.secure_channel(target, creds, options=[("grpc.ssl_target_name_override",
                                                        "localhost")])


class Stream:
    """plugin.GRPCStdio/StreamStdio read on a thread, per channel, until stopped."""

    def __init__(self, ch, stdio_pb2, until):
        self.call = ch.unary_stream("/plugin.GRPCStdio/StreamStdio",
                                    request_serializer=lambda m: m.SerializeToString(),
                                    response_deserializer=stdio_pb2.StdioData.FromString)
        self.pb2 = stdio_pb2
        self.until = until  # predicate on (stdout bytes, stderr bytes)
        self.data = {1: b"", 2: b""}
        self.sizes = []
        self.channels = set()
        self.status = None
        self.done = threading.Event()  # `until` became true
        self.ended = threading.Event()  # the stream ended
        from google.protobuf import empty_pb2
        self.it = self.call(empty_pb2.Empty(), timeout=60)
        threading.Thread(target=self._run).start()

    def _run(self):
        try:
            for m in self.it:
                self.channels.add(m.channel)
                self.sizes.append(len(m.data))
                self.data[m.channel] = self.data.get(m.channel, b"") + m.data
                if self.until(self.data[1], self.data[2]):
                    self.done.set()
            self.status = grpc.StatusCode.OK
        except grpc.RpcError as e:
            self.status = e.code()
        finally:
            self.done.set()
            self.ended.set()


def shutdown(ch, controller_pb2):
    call = ch.unary_unary("/plugin.GRPCController/Shutdown",
                          request_serializer=lambda m: m.SerializeToString(),
                          response_deserializer=controller_pb2.Empty.FromString)
    t0 = time.monotonic()
    try:
        call(controller_pb2.Empty(), timeout=10)
    except grpc.RpcError as e:
        print("# Shutdown RPC: %s (ignored, as go-plugin does)" % e.code())
    return t0


def hclog_lines(stderr):
    lines = []
    for raw in stderr.decode(errors="replace").splitlines():
        try:
            obj = json.loads(raw)
        except ValueError:
            return None, raw  # a line that is not hclog JSON
        if not isinstance(obj, dict) or not isinstance(obj.get("@level"), str) \
                or not isinstance(obj.get("@message"), str):
            return None, raw
        lines.append(obj)
    return lines, None


def pattern(n):
    return bytes(ord("a") + i % 26 for i in range(n))


def basic_case(args, stubs, name, env, host_cert=None, host_key=None):
    stdio_pb2, controller_pb2 = stubs
    probe = Probe(args.probe, dict(env, PROBE_MODE="basic", PLUGIN_LOG_LEVEL="debug"))
    try:
        f = probe.fields()
        want_fields = 6
        check(name + ": handshake line", len(f) == want_fields and f[4] == "grpc" and
              (bool(f[5]) == bool(host_cert)), repr(probe.line))
        if len(f) != want_fields:
            return
        ch = channel_for(f, host_cert, host_key)
        s = Stream(ch, stdio_pb2, lambda o, e: o.endswith(b"out-end\n") and e.endswith(b"err-end\n"))
        got_all = s.done.wait(20)
        want_out = b"probe: ready=1\nout-line\nchild-out\n" + pattern(5000) + b"out-end\n"
        want_err = b"err-line\nchild-err\nerr-end\n"
        check(name + ": wait_for_server_ready true, stdout on STDOUT in order (printf, child, write)",
              got_all and s.data[1] == want_out, "got %r" % s.data[1][:200])
        check(name + ": stderr on STDERR in order (std::cerr, child, write)",
              s.data[2] == want_err, "got %r" % s.data[2][:200])
        check(name + ": chunks of 1..1024 bytes, channels STDOUT/STDERR only",
              s.sizes and min(s.sizes) >= 1 and max(s.sizes) <= 1024 and s.channels <= {1, 2},
              "sizes %r channels %r" % (s.sizes[:20], s.channels))
        t0 = shutdown(ch, controller_pb2)
        code = None
        try:
            code = probe.p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        check(name + ": Controller.Shutdown: exit 0 within 2 s", code == 0,
              "exit %r after %.2f s" % (code, elapsed))
        s.ended.wait(5)
        check(name + ": the stdio stream ends with OK at shutdown", s.status == grpc.StatusCode.OK,
              "status %r" % s.status)
        ch.close()
        probe.finish()
        check(name + ": nothing but the handshake line on the real stdout",
              probe.stdout_rest == b"", "rest %r" % probe.stdout_rest[:200])
        logs, bad = hclog_lines(probe.stderr)
        check(name + ": the real stderr holds hclog JSON lines only",
              logs is not None and logs, "non-JSON line %r" % bad)
        if logs:
            started = [l for l in logs if l["@message"] == "plugin started"]
            check(name + ": hclog 'plugin started' says stdio captured",
                  started and started[0].get("stdio") == "captured", repr(started))
            text = probe.stderr.decode(errors="replace")
            check(name + ": captured text never reaches the real stderr",
                  "err-line" not in text and "child-err" not in text and "out-line" not in text,
                  text[-300:])
            check(name + ": nothing undelivered or dropped",
                  not any("dropped" in l["@message"] or "not delivered" in l["@message"]
                          for l in logs), text[-300:])
    finally:
        probe.kill()


def flood_case(args, stubs, d):
    stdio_pb2, controller_pb2 = stubs
    name = "flood"
    flag = os.path.join(d, "flooded")
    probe = Probe(args.probe, {"PLUGIN_UNIX_SOCKET_DIR": d, "PROBE_MODE": "flood",
                               "PROBE_FLAG": flag})
    try:
        f = probe.fields()
        if len(f) != 6:
            check(name + ": handshake line", False, repr(probe.line))
            return
        # Connect only once 3 MiB were written: the buffer (1 MiB per channel) has
        # dropped the oldest output by then.
        deadline = time.monotonic() + 20
        while not os.path.exists(flag) and time.monotonic() < deadline:
            time.sleep(0.02)
        check(name + ": the probe wrote 3 MiB without a host reading", os.path.exists(flag))
        ch = channel_for(f)
        s = Stream(ch, stdio_pb2, lambda o, e: o.endswith(b"flood-end\n"))
        got = s.done.wait(30)
        shutdown(ch, controller_pb2)
        code = probe.finish()
        s.ended.wait(5)
        ch.close()
        written = b"probe: ready=1\n" + b"".join(b"%08d\n" % i for i in range(349526)) + \
            b"flood-end\n"
        received = s.data[1]
        limit = 1024 * 1024
        check(name + ": the newest 1 MiB arrives intact, ending with flood-end",
              got and len(received) >= limit and received[-limit:] == written[-limit:],
              "received %d bytes" % len(received))
        check(name + ": the oldest output was dropped", len(received) < len(written),
              "received %d of %d" % (len(received), len(written)))
        logs, bad = hclog_lines(probe.stderr)
        logs = logs or []
        started = [l for l in logs if l["@message"].startswith("stdio buffer full")]
        check(name + ": a warning when dropping starts, naming channel and limit",
              started and started[0].get("channel") == "stdout" and
              started[0].get("limit") == str(limit), repr(started))
        dropped = sum(int(l["bytes"]) for l in logs
                      if l["@message"] == "captured output dropped before a host read it"
                      and l.get("channel") == "stdout")
        check(name + ": the dropped bytes are counted exactly (received + dropped = written)",
              dropped + len(received) == len(written),
              "dropped %d + received %d != written %d" % (dropped, len(received), len(written)))
        check(name + ": exit 0", code == 0, "exit %r" % code)
    finally:
        probe.kill()


def no_capture_case(args, stubs, d):
    stdio_pb2, _ = stubs
    name = "PLUGIN_CAPTURE_STDIO=false"
    probe = Probe(args.probe, {"PLUGIN_UNIX_SOCKET_DIR": d, "PROBE_MODE": "basic",
                               "PLUGIN_CAPTURE_STDIO": "false"})
    try:
        f = probe.fields()
        if len(f) != 6:
            check(name + ": handshake line", False, repr(probe.line))
            return
        ch = channel_for(f)
        s = Stream(ch, stdio_pb2, lambda o, e: False)
        # A unary call on the same connection after the stream's: once it is answered, the
        # server holds the stream (HTTP/2 frames are handled in order), so the SIGTERM below
        # drains it instead of refusing a stream that arrives after the GOAWAY.
        ch.unary_unary("/grpc.health.v1.Health/Check")(b"\x0a\x06plugin", timeout=10)
        # The output goes to the real stdout; read it up to the probe's last line.
        seen = b""
        deadline = time.monotonic() + 20
        while not seen.endswith(b"out-end\n") and time.monotonic() < deadline:
            chunk = probe.p.stdout.read1(65536)
            if not chunk:
                break
            seen += chunk
        probe.p.terminate()  # SIGTERM
        code = probe.finish()
        s.ended.wait(5)
        ch.close()
        check(name + ": output stays on the real stdout",
              seen.startswith(b"probe: ready=1\nout-line\n") and seen.endswith(b"out-end\n"),
              repr(seen[:100]))
        check(name + ": the stdio stream stays empty and ends with OK, exit 0",
              s.data == {1: b"", 2: b""} and s.status == grpc.StatusCode.OK and code == 0,
              "data %r status %r exit %r" % ({k: v[:50] for k, v in s.data.items()}, s.status, code))
        check(name + ": stderr text stays on the real stderr", b"err-line\n" in probe.stderr,
              probe.stderr[-200:])
    finally:
        probe.kill()


def failed_start_case(args):
    p = subprocess.run([args.probe], env={"PATH": os.environ.get("PATH", "")},
                       capture_output=True, timeout=30)
    check("no cookie: wait_for_server_ready false at once, exit 1",
          p.returncode == 1 and p.stdout == b"probe: ready=0\n" and
          b"This binary is a plugin" in p.stderr,
          "exit %d stdout %r" % (p.returncode, p.stdout))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", required=True)
    ap.add_argument("--protoc", required=True)
    ap.add_argument("--proto-dir", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        stubs = build_stubs(args.protoc, args.proto_dir, d)
        basic_case(args, stubs, "plaintext", {"PLUGIN_UNIX_SOCKET_DIR": d})
        host_cert, host_key = make_host_cert(d)
        basic_case(args, stubs, "AutoMTLS", {"PLUGIN_UNIX_SOCKET_DIR": d,
                                             "PLUGIN_CLIENT_CERT": host_cert.decode()},
                   host_cert, host_key)
        basic_case(args, stubs, "tcp", {"PLUGIN_SERVER_TRANSPORTS": "tcp",
                                        "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000"})
        flood_case(args, stubs, d)
        no_capture_case(args, stubs, d)
        failed_start_case(args)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
