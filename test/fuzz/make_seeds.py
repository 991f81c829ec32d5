#!/usr/bin/python3
"""Records interop traffic and turns it into the fuzz harnesses' seed corpora.

    make_seeds.py --server build/test/interop/rpcplugin-interop-server
                  [--go-client build/test/interop/interop_client]
                  [--cpp-client build/test/interop/rpcplugin-interop-client]
                  --out test/fuzz/corpus

Starts rpcplugin-interop-server on a Unix socket and, in front of it, a recording proxy
that stores the client-to-server bytes of every connection. Each interop case of the
python3-grpcio client (and of the grpc-go and C++ clients when given) runs on its own
connection through the proxy. Every recording then becomes seeds (files named by the
SHA-256 of their content, as nghttp2's corpus is):

  session/     the first 16 KiB after the 24-byte preface (the last frame may be cut)
  metadata/    each request header block, HPACK-decoded, as "name: value" lines
  deframer/    each stream's request body (DATA payloads), with the harness's 3-byte
               header (4 MiB limit, the stream's grpc-encoding, a split seed) (<= 8 KiB)
  connection/  the connection's frames as a fuzz_connection script (opens, DATA, END,
               RST_STREAM, WINDOW_UPDATE, SETTINGS, PING, GOAWAY, with exchanges), plus a
               few scripts for the scripted-handler method, which no interop client calls

The existing files of each corpus directory are kept; run with a clean --out to rebuild.
Needs Debian's python3-h2 (hyperframe, hpack) and python3-grpcio.
"""
import argparse
import hashlib
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

import hpack
import hyperframe.frame as hf

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "interop")

PYTHON_CASES = ["empty_unary", "large_unary", "client_compressed_unary", "server_compressed_unary",
                "client_streaming", "server_streaming", "ping_pong", "empty_stream",
                "custom_metadata", "status_code_and_message", "special_status_message",
                "unimplemented_method", "unimplemented_service", "cancel_after_begin",
                "cancel_after_first_response", "timeout_on_sleeping_server"]
GO_CASES = PYTHON_CASES + ["client_compressed_streaming", "server_compressed_streaming"]

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


# --- recording proxy ------------------------------------------------------------------------

class Proxy:
    """Accepts on `listen_path`, forwards to `target_path`, records client->server bytes."""

    def __init__(self, listen_path, target_path):
        self.target = target_path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(listen_path)
        self.sock.listen(16)
        self.recordings = []
        self.lock = threading.Lock()
        self.threads = []
        self.running = True
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            record = bytearray()
            with self.lock:
                self.recordings.append(record)
            for src, dst, rec in ((client, upstream, record), (upstream, client, None)):
                t = threading.Thread(target=self._pump, args=(src, dst, rec), daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def _pump(src, dst, record):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if record is not None:
                    record.extend(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (dst,):
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.running = False
        self.sock.close()
        for t in self.threads:
            t.join(timeout=5)
        with self.lock:
            return [bytes(r) for r in self.recordings]


# --- frames -------------------------------------------------------------------------------

def frames(data):
    """Yields (frame, raw bytes) from client bytes after the preface; stops at a partial frame."""
    pos = len(PREFACE) if data.startswith(PREFACE) else 0
    while pos + 9 <= len(data):
        length = int.from_bytes(data[pos:pos + 3], "big")
        if pos + 9 + length > len(data):
            return
        raw = data[pos:pos + 9 + length]
        frame, n = hf.Frame.parse_frame_header(memoryview(raw[:9]))
        frame.parse_body(memoryview(raw[9:]))
        yield frame, raw
        pos += 9 + length


def header_blocks(data):
    """Yields (stream id, [(name, value)], end_stream, frame index) per request header block."""
    dec = hpack.Decoder()
    dec.max_allowed_table_size = 65536
    block = None
    for i, (f, _) in enumerate(frames(data)):
        if isinstance(f, hf.HeadersFrame):
            block = [f.stream_id, bytearray(f.data), "END_STREAM" in f.flags]
        elif isinstance(f, hf.ContinuationFrame) and block is not None:
            block[1].extend(f.data)
        else:
            continue
        if "END_HEADERS" in f.flags:
            fields = dec.decode(bytes(block[1]), raw=True)
            yield block[0], [(n, v) for n, v in fields], block[2], i
            block = None


# --- seeds -----------------------------------------------------------------------------------

def session_seed(data, limit=16 * 1024):
    body = data[len(PREFACE):] if data.startswith(PREFACE) else data
    return bytes(body[:limit])


def metadata_seeds(data):
    for _, fields, _, _ in header_blocks(data):
        lines = [n + b": " + v for n, v in fields]
        yield b"\n".join(lines) + b"\n"


def deframer_seeds(data, limit=8 * 1024):
    encodings = {}
    bodies = {}
    for sid, fields, _, _ in header_blocks(data):
        for n, v in fields:
            if n == b"grpc-encoding":
                encodings[sid] = {b"gzip": 1, b"deflate": 2}.get(v, 0)
    for f, _ in frames(data):
        if isinstance(f, hf.DataFrame) and f.data:
            bodies.setdefault(f.stream_id, bytearray()).extend(f.data)
    for sid, body in bodies.items():
        # limit selector 6 = 4 MiB (the server's default), encoding, split seed
        yield bytes([6, encodings.get(sid, 0), (sid * 37 + len(body)) & 0xFF]) + bytes(body[:limit])


METHODS = ["/fuzz.Script/Call", "/grpc.testing.TestService/UnaryCall",
           "/grpc.testing.TestService/StreamingInputCall",
           "/grpc.testing.TestService/StreamingOutputCall",
           "/grpc.testing.TestService/FullDuplexCall", "/grpc.testing.TestService/HalfDuplexCall",
           "/grpc.testing.TestService/EmptyCall", "/fuzz.Echo/Echo",
           "/grpc.testing.TestService/UnimplementedCall",
           "/grpc.testing.UnimplementedService/UnimplementedCall", "no-slash"]
CLIENT_KEYS = [b"x-a", b"x-grpc-test-echo-initial", b"x-grpc-test-echo-trailing-bin", b"x-b-bin",
               b"grpc-status-details-bin", b"grpc-custom", b"x-z"]
OP_OPEN, OP_DATA, OP_END, OP_RESET, OP_WINDOW, OP_SETTINGS, OP_PING, OP_EXCHANGE = range(8)
OP_HANDLER, OP_CLIENT_GOAWAY = 13, 14


def short_string(b):
    b = bytes(b[:255])
    return bytes([len(b)]) + b


def script_open(fields, end_stream):
    d = {n: v for n, v in fields}
    path = d.get(b":path", b"").decode("latin-1")
    method = METHODS.index(path) if path in METHODS else 8
    ct = {b"application/grpc": 0, b"application/grpc+proto": 1}.get(d.get(b"content-type"), 3)
    timeout = 2 if b"grpc-timeout" in d else 0
    enc = {None: 0, b"identity": 1, b"gzip": 2, b"deflate": 3}.get(d.get(b"grpc-encoding"), 4)
    accept = 2 if b"grpc-accept-encoding" in d else 0
    md = [(CLIENT_KEYS.index(n) if n in CLIENT_KEYS else 0, v) for n, v in fields
          if not n.startswith(b":") and not n.startswith(b"grpc-") and n not in
          (b"content-type", b"te", b"user-agent")][:3]
    out = bytearray([OP_OPEN, method, ct, 0, timeout, enc, accept, len(md)])
    for k, v in md:
        out.append(k)
        out.extend(short_string(v))
    out.extend([0, 1 if end_stream else 0])
    return bytes(out)


def connection_seed(data, limit=8 * 1024):
    out = bytearray([0, 0, 0])  # default server limits, default client SETTINGS
    streams = []
    opened = {sid: (fields, end) for sid, fields, end, _ in header_blocks(data)}
    sent = {}
    for f, _ in frames(data):
        if len(out) > limit:
            break
        if isinstance(f, hf.HeadersFrame) and f.stream_id in opened and f.stream_id not in streams:
            fields, end = opened[f.stream_id]
            streams.append(f.stream_id)
            out.extend(script_open(fields, end))
            out.append(OP_EXCHANGE)
        elif isinstance(f, hf.DataFrame) and f.stream_id in streams:
            index = streams.index(f.stream_id)
            end = "END_STREAM" in f.flags
            body = bytes(f.data)
            # Raw body bytes, at most 1 KiB per stream, in pieces of up to 255 bytes.
            room = max(0, 1024 - sent.get(f.stream_id, 0))
            body = body[:room]
            sent[f.stream_id] = sent.get(f.stream_id, 0) + len(body)
            pieces = [body[i:i + 255] for i in range(0, len(body), 255)] or [b""]
            for j, piece in enumerate(pieces):
                last = j == len(pieces) - 1
                out.extend([OP_DATA, index, 0])
                out.extend(short_string(piece))
                out.append(1 if (last and end) else 0)
            out.append(OP_EXCHANGE)
        elif isinstance(f, hf.RstStreamFrame) and f.stream_id in streams:
            code = {0: 0, 8: 1, 2: 2, 7: 3, 11: 4}.get(f.error_code, 1)
            out.extend([OP_RESET, streams.index(f.stream_id), code, OP_EXCHANGE])
        elif isinstance(f, hf.WindowUpdateFrame):
            inc = f.window_increment
            big = inc > 65535
            v = min(inc // 1024 if big else inc, 65535)
            index = streams.index(f.stream_id) if f.stream_id in streams else 0
            out.extend([OP_WINDOW, 1 if f.stream_id == 0 else 0, index, v >> 8, v & 0xFF,
                        1 if big else 0])
        elif isinstance(f, hf.PingFrame) and "ACK" not in f.flags:
            out.extend([OP_PING, OP_EXCHANGE])
        elif isinstance(f, hf.SettingsFrame) and "ACK" not in f.flags and len(out) > 3:
            out.extend([OP_SETTINGS, 0, 4])  # one ENABLE_PUSH=0 entry
        elif isinstance(f, hf.GoAwayFrame):
            out.extend([OP_CLIENT_GOAWAY, 1])
    out.append(OP_EXCHANGE)
    return bytes(out)


def scripted_seeds():
    """Scripts for /fuzz.Script/Call: handler actions in different orders."""
    def open_script(end=False):
        return bytes([OP_OPEN, 0, 0, 0, 0, 0, 2, 0, 0, 1 if end else 0])

    def data(msg, end):
        return bytes([OP_DATA, 0, 0]) + short_string(b"\0" + struct.pack(">I", len(msg)) + msg) + \
            bytes([1 if end else 0])

    def handler(op, *args):
        return bytes([OP_HANDLER, 0, op]) + bytes(args)

    hdr = bytes([0, 0, 0])
    x = OP_EXCHANGE
    yield hdr + open_script() + bytes([x]) + data(b"ping", True) + bytes([x]) + handler(0) + \
        handler(1, 0, 100, 0) + handler(7, 0, 0) + bytes([x])
    yield hdr + open_script() + bytes([x]) + handler(2, 0, 3) + b"abc" + handler(4) + \
        handler(1, 1, 0, 1) + data(b"x" * 40, False) + bytes([x]) + handler(9) + \
        bytes([OP_RESET, 0, 1, x])
    yield hdr + open_script(True) + bytes([x]) + handler(5, 1) + handler(3, 1, 2) + b"\x01\x02" + \
        handler(6, 13, 4) + b"oops" + bytes([x]) + handler(8) + bytes([x])
    yield bytes([0x01, 0x15, 0x00]) + open_script() + bytes([x]) + handler(1, 0xff, 0xff, 0) + \
        bytes([x, OP_WINDOW, 1, 0, 0xff, 0xff, 1, x]) + bytes([OP_CLIENT_GOAWAY, 1, x])


def write_seed(out_dir, harness, data):
    if not data:
        return False
    d = os.path.join(out_dir, harness)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha256(data).hexdigest()[:16])
    if os.path.exists(path):
        return False
    with open(path, "wb") as f:
        f.write(data)
    return True


def record(args, tmp):
    server_sock = os.path.join(tmp, "server.sock")
    server = subprocess.Popen([args.server, "--listen", "unix:" + server_sock],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("READY"):
            sys.exit("server did not start: %r" % line)
        runs = [("python", c) for c in PYTHON_CASES]
        if args.go_client:
            runs += [("go", c) for c in GO_CASES]
        if args.cpp_client:
            runs += [("cpp", c) for c in GO_CASES]
        recordings = []
        for n, (client, case) in enumerate(runs):
            proxy_sock = os.path.join(tmp, "proxy%d.sock" % n)
            proxy = Proxy(proxy_sock, server_sock)
            target = "unix:" + proxy_sock
            if client == "python":
                cmd = ["/usr/bin/python3", os.path.join(INTEROP, "python", "interop_client.py"),
                       "--target", target, "--cases", case, "--stubs-dir", os.path.join(tmp, "stubs")]
            elif client == "go":
                cmd = [args.go_client, "-target", target, "-cases", case]
            else:
                cmd = [args.cpp_client, "--target", target, "--cases", case]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=120)
            got = proxy.close()
            print("%-6s %-30s %s, %d connection(s), %d bytes" % (
                client, case, "ok" if r.returncode == 0 else "FAILED", len(got),
                sum(len(g) for g in got)))
            recordings += [g for g in got if g]
        return recordings
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--go-client")
    ap.add_argument("--cpp-client")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rpcplugin-seeds-") as tmp:
        recordings = record(args, tmp)
    counts = {}
    for data in recordings:
        for harness, seeds in (("session", [session_seed(data)]),
                               ("metadata", metadata_seeds(data)),
                               ("deframer", deframer_seeds(data)),
                               ("connection", [connection_seed(data)])):
            for s in seeds:
                counts[harness] = counts.get(harness, 0) + write_seed(args.out, harness, s)
    for s in scripted_seeds():
        counts["connection"] = counts.get("connection", 0) + write_seed(args.out, "connection", s)
    for harness, n in sorted(counts.items()):
        print("%s: %d new seeds" % (harness, n))


if __name__ == "__main__":
    main()
