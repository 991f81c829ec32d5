"""Shared helpers of the protocol tests: start rpcplugin-interop-server, talk raw HTTP/2.

Server(binary, listen, extra_args) starts the server on a fresh Unix socket or a free loopback
port, waits for its READY line, and stops it on exit. H2 is a raw HTTP/2 client on
python3-h2 with every header check switched off, so that malformed requests reach the
server as written. Suite runs named cases, prints PASS/FAIL lines and the summary, and
after each abusive case checks that the server is alive and answers a fresh UnaryCall.
Everything is bounded in time: no call here waits longer than its timeout.
"""
import argparse
import os
import selectors
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

import h2.config
import h2.connection
import h2.events

UNARY = "/grpc.testing.TestService/UnaryCall"
STREAMING_OUTPUT = "/grpc.testing.TestService/StreamingOutputCall"


def parse_args(*extra):
    """--server BIN plus (name, kwargs) pairs for extra options."""
    ap = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__)
    ap.add_argument("--server", required=True, help="rpcplugin-interop-server binary")
    for name, kw in extra:
        ap.add_argument(name, **kw)
    return ap.parse_args()


class Server:
    """rpcplugin-interop-server on `listen` ("unix" = a fresh socket, "tcp" = a free port)."""

    def __init__(self, binary, listen="tcp", extra=(), startup_timeout=10.0):
        self.final_log = ""
        self.dir = tempfile.mkdtemp(prefix="rpcplugin-proto-")
        arg = "unix:" + os.path.join(self.dir, "s.sock") if listen == "unix" else "127.0.0.1:0"
        self.log = open(os.path.join(self.dir, "server.log"), "w+")
        self.proc = subprocess.Popen([binary, "--listen", arg, *extra], stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        line = self._readline(startup_timeout)
        if not line.startswith("READY "):
            err = self.stderr()[-500:]
            self.stop()
            raise RuntimeError("server did not start (exit %s): %r %s"
                               % (self.proc.returncode, line, err))
        ep = line.split(" ", 1)[1].strip()
        if ep.startswith("unix:"):
            self.address, self.family = ep[5:], socket.AF_UNIX
        else:
            host, port = ep.rsplit(":", 1)
            self.address, self.family = (host, int(port)), socket.AF_INET
        self.endpoint = ep

    def _readline(self, timeout):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        return self.proc.stdout.readline() if ready else ""

    @property
    def port(self):
        return self.address[1]

    def alive(self):
        return self.proc.poll() is None

    def stderr(self):
        if self.log.closed:
            return self.final_log
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def connect(self, timeout=5.0):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.address)
        return s

    def stop(self):
        """SIGTERM (SIGKILL after 5 s); returns the exit status. Idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if not self.log.closed:
            self.final_log = self.stderr()
            self.log.close()
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --- protobuf / gRPC framing, hand-encoded (SimpleRequest and SimpleResponse only) ---

def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def simple_request(response_size, body=b""):
    """SimpleRequest{response_size, payload{body}} (field numbers from messages.proto)."""
    msg = b"\x10" + varint(response_size) if response_size else b""
    if body:
        payload = b"\x12" + varint(len(body)) + body
        msg += b"\x1a" + varint(len(payload)) + payload
    return msg


def streaming_request(size, interval_us=0):
    """StreamingOutputCallRequest{response_parameters{size, interval_us}}: one response of
    `size` bytes after `interval_us`."""
    params = b"\x08" + varint(size) + (b"\x10" + varint(interval_us) if interval_us else b"")
    return b"\x12" + varint(len(params)) + params


def grpc_frame(msg, compressed=False):
    return bytes([1 if compressed else 0]) + len(msg).to_bytes(4, "big") + msg


def pb_fields(buf):
    """{field number: value} of a message of varint and length-delimited fields."""
    fields, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            val, i = _read_varint(buf, i)
        elif wire == 2:
            n, i = _read_varint(buf, i)
            val, i = buf[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type %d" % wire)
        fields[num] = val
    return fields


def _read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def grpc_messages(data):
    """Splits a DATA byte string into gRPC messages (uncompressed only)."""
    out, i = [], 0
    while i < len(data):
        assert i + 5 <= len(data) and data[i] == 0, "bad gRPC framing: %r" % data[i:i + 5]
        n = int.from_bytes(data[i + 1:i + 5], "big")
        out.append(data[i + 5:i + 5 + n])
        i += 5 + n
    assert i == len(data), "truncated gRPC message"
    return out


def grpc_headers(path=UNARY, authority="localhost", extra=()):
    return [(":method", "POST"), (":scheme", "http"), (":path", path),
            (":authority", authority), ("content-type", "application/grpc"),
            ("te", "trailers"), *extra]


# --- raw HTTP/2 client ---

class Result:
    """What came back on one stream."""

    def __init__(self):
        self.headers, self.trailers, self.data = None, None, b""
        self.ended = False
        self.reset = None        # RST_STREAM error code
        self.reset_after_end = False  # the RST_STREAM came after END_STREAM
        self.goaway = None       # (error code, debug data)
        self.closed = False      # connection EOF

    def header(self, name):
        for src in (self.trailers or [], self.headers or []):
            for k, v in src:
                if k == name:
                    return v
        return None

    @property
    def status(self):
        s = self.header("grpc-status")
        return None if s is None else int(s)

    @property
    def message(self):
        m = self.header("grpc-message")
        return None if m is None else urllib.parse.unquote(m)

    @property
    def trailers_only(self):
        return self.trailers is None and self.ended and self.data == b"" and \
            self.headers is not None and any(k == "grpc-status" for k, _ in self.headers)

    def __repr__(self):
        return ("Result(headers=%r, trailers=%r, data=%d bytes, ended=%s, reset=%r, goaway=%r, "
                "closed=%s)" % (self.headers, self.trailers, len(self.data), self.ended,
                               self.reset, self.goaway, self.closed))


class H2:
    """A raw HTTP/2 client connection; header validation and normalisation are off."""

    def __init__(self, server, timeout=5.0, tls_context=None, server_hostname="localhost"):
        self.sock = server.connect(timeout)
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname=server_hostname)
        cfg = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                        validate_outbound_headers=False,
                                        normalize_outbound_headers=False,
                                        validate_inbound_headers=False,
                                        normalize_inbound_headers=False)
        self.conn = h2.connection.H2Connection(cfg)
        self.conn.initiate_connection()
        self.timeout = timeout
        self.results = {}
        self.closed = False
        self.flush()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, headers, body=None, end_stream=True):
        sid = self.conn.get_next_available_stream_id()
        self.results[sid] = Result()
        self.conn.send_headers(sid, headers, end_stream=end_stream and body is None)
        if body is not None:
            self.conn.send_data(sid, body, end_stream=end_stream)
        self.flush()
        return sid

    def send_data(self, sid, data, end_stream=False):
        self.conn.send_data(sid, data, end_stream=end_stream)
        self.flush()

    def wait(self, sid, timeout=None):
        """Reads until stream `sid` ends or is reset, the connection closes, or timeout."""
        r = self.results[sid]
        deadline = time.monotonic() + (timeout or self.timeout)
        while not (r.ended or r.reset is not None or r.goaway or self.closed):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out waiting for stream %d: %r" % (sid, r))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except (ConnectionError, ssl.SSLError):
                data = b""
            if not data:
                self.closed = True
                for res in self.results.values():
                    res.closed = True
                break
            for ev in self.conn.receive_data(data):
                self._on_event(ev)
            self.flush()
        return r

    def _on_event(self, ev):
        r = self.results.get(getattr(ev, "stream_id", None))
        if isinstance(ev, h2.events.ResponseReceived) and r:
            r.headers = ev.headers
        elif isinstance(ev, h2.events.TrailersReceived) and r:
            r.trailers = ev.headers
        elif isinstance(ev, h2.events.DataReceived):
            if r:
                r.data += ev.data
            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded) and r:
            r.ended = True
        elif isinstance(ev, h2.events.StreamReset) and r:
            r.reset, r.reset_after_end = ev.error_code, r.ended
        elif isinstance(ev, h2.events.ConnectionTerminated):
            for res in self.results.values():
                res.goaway = (ev.error_code, ev.additional_data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def unary_call(server, response_size=8, tls_context=None, extra=()):
    """One UnaryCall on a fresh connection; asserts a correct OK answer."""
    with H2(server, tls_context=tls_context) as c:
        sid = c.request(grpc_headers(extra=extra), grpc_frame(simple_request(response_size)))
        r = c.wait(sid)
    assert r.headers and dict(r.headers).get(":status") == "200", "bad response: %r" % r
    assert r.status == 0, "grpc-status %r (%r): %r" % (r.status, r.message, r)
    msgs = grpc_messages(r.data)
    assert len(msgs) == 1, "expected one response message, got %d" % len(msgs)
    payload = pb_fields(pb_fields(msgs[0]).get(1, b""))
    body = payload.get(2, b"")
    assert body == b"\0" * response_size, "payload body %r" % body
    return r


class Suite:
    """Runs cases; `abusive=True` cases are followed by a liveness and health check."""

    def __init__(self, server=None, tls_context=None):
        self.server, self.tls_context = server, tls_context
        self.passed = self.failed = 0

    def case(self, name, fn, abusive=True):
        try:
            fn()
            if abusive and self.server is not None:
                self.check_healthy()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            self.failed += 1
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc(limit=3)
            print("FAIL %s: %s" % (name, detail.strip().replace("\n", "\n    ")), flush=True)
            if self.server is not None and not self.server.alive():
                print("    server exited with %s; log tail:\n%s"
                      % (self.server.proc.returncode, self.server.stderr()[-2000:]), flush=True)
            return
        self.passed += 1
        print("PASS %s" % name, flush=True)

    def check_healthy(self):
        assert self.server.alive(), "server died (exit %s)" % self.server.proc.returncode
        unary_call(self.server, tls_context=self.tls_context)

    def stop_server(self):
        """Stops the server; its exit status must be 0 (SIGTERM is a clean stop, and a
        sanitizer build reports leaks and errors through the exit status)."""
        srv, self.server = self.server, None
        if srv is None:
            return

        def clean_exit():
            code = srv.stop()
            assert code == 0, "exit status %s; log tail:\n%s" % (code, srv.stderr()[-3000:])
        self.case("server_clean_exit", clean_exit, abusive=False)

    def finish(self):
        self.stop_server()
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0


def run_main(main):
    """sys.exit(main()), but a setup error (server does not start...) is a FAIL line too."""
    try:
        rc = main()
    except Exception as e:  # noqa: BLE001
        name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
        print("FAIL %s: %s" % (name, e), flush=True)
        print("0 passed, 1 failed", flush=True)
        rc = 1
    sys.exit(rc)


def make_cert(directory):
    """A throwaway self-signed ECDSA P-256 certificate for localhost: (cert, key) paths."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    return cert, key


def client_tls_context(cafile, alpn=("h2",)):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(list(alpn))
    return ctx


def recv_all(sock, timeout=5.0, limit=1 << 20):
    """Bytes until EOF (bounded by timeout and size); returns (data, eof_seen)."""
    out, deadline = b"", time.monotonic() + timeout
    while len(out) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            return out, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return out, False
        except ConnectionResetError:
            return out, True
        if not chunk:
            return out, True
        out += chunk
    return out, False
