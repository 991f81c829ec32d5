#!/usr/bin/python3
"""A go-plugin plugin written in Python with python3-grpcio, for the host tests.

Cookie TEST_PY_PLUGIN=1, app protocol version 1. It serves what newer Go plugins serve
beyond go-plugin 1.0.1: grpc.health.v1 ("plugin" SERVING), plugin.GRPCController,
plugin.GRPCBroker (accepts the stream, announces nothing), plugin.GRPCStdio (sends one
stdout and one stderr chunk, then keeps the stream open) and grpc.reflection.v1alpha
(list_services). With PLUGIN_CLIENT_CERT it does AutoMTLS with a certificate made by the
openssl command. Messages are encoded by hand (no generated stubs needed).

    py_plugin.py [--ignore-shutdown] [--stdout-line TEXT] [--announce-early SECONDS] [--slow-line]

--ignore-shutdown: Controller.Shutdown answers OK but the process keeps running (the
host must kill it). --stdout-line: a line printed on the real stdout after the handshake.
--announce-early: print the handshake line, then wait that long before listening (the
host has to retry its connection). --slow-line: the handshake line is written a few bytes
at a time, with pauses. PID_FILE, when set, receives the process id.
"""
import argparse
import base64
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures

import grpc

SERVICES = ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
            "plugin.GRPCBroker", "plugin.GRPCController", "plugin.GRPCStdio"]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def parse(data):
    """Top-level fields of a protobuf message: {number: [value, ...]}."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            v, i = data[i:i + n], i + n
        else:
            raise ValueError("unsupported wire type %d" % wire)
        out.setdefault(num, []).append(v)
    return out


def read_varint(data, i):
    shift = result = 0
    while True:
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, i


def log(level, msg):
    sys.stderr.write("[%s] %s\n" % (level, msg))
    sys.stderr.flush()


class Plugin:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()

    def health_check(self, request, context):
        service = parse(request).get(1, [b""])[0].decode()
        if service not in ("", "plugin"):
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return field_varint(1, 1)  # SERVING

    def shutdown(self, request, context):
        if self.args.ignore_shutdown:
            log("WARN", "shutdown requested; ignoring it")
        else:
            log("INFO", "shutdown requested")
            threading.Timer(0.05, self.stop.set).start()
        return b""

    def broker(self, request_iterator, context):
        for _ in request_iterator:
            pass
        return iter(())

    def stdio(self, request, context):
        yield field_varint(1, 1) + field_bytes(2, b"hello from the plugin's stdout\n")
        yield field_varint(1, 2) + field_bytes(2, b"a line on the plugin's stderr\n")
        while context.is_active() and not self.stop.is_set():
            time.sleep(0.02)

    def reflection(self, request_iterator, context):
        for req in request_iterator:
            fields = parse(req)
            if 7 in fields:
                services = b"".join(field_bytes(1, field_bytes(1, s.encode())) for s in SERVICES)
                yield field_bytes(6, services)
            else:
                yield field_bytes(7, field_varint(1, 12) + field_bytes(2, b"only list_services"))


def identity(x):
    return x


def make_cert():
    with tempfile.TemporaryDirectory(prefix="py-plugin-") as tmp:
        return make_cert_in(tmp)


def make_cert_in(tmp):
    key, cert = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=localhost/O=py-plugin", "-days", "2",
                    "-addext", "subjectAltName=DNS:localhost",
                    "-addext", "extendedKeyUsage=serverAuth,clientAuth",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    with open(key, "rb") as f:
        key_pem = f.read()
    with open(cert, "rb") as f:
        cert_pem = f.read()
    return key_pem, cert_pem, base64.b64encode(der).decode().rstrip("=")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignore-shutdown", action="store_true")
    ap.add_argument("--stdout-line")
    ap.add_argument("--announce-early", type=float, default=0.0)
    ap.add_argument("--slow-line", action="store_true")
    args = ap.parse_args()
    if os.environ.get("PID_FILE"):
        with open(os.environ["PID_FILE"], "w") as f:
            f.write("%d\n" % os.getpid())
    if os.environ.get("TEST_PY_PLUGIN") != "1":
        sys.stderr.write("This binary is a plugin. These are not meant to be executed directly.\n")
        sys.exit(1)
    offered = [v for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v]
    if offered and "1" not in offered:
        log("WARN", "host offers %s; announcing 1 anyway" % offered)

    p = Plugin(args)
    u = grpc.unary_unary_rpc_method_handler
    handlers = [
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": u(p.health_check, identity, identity)}),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {
            "Shutdown": u(p.shutdown, identity, identity)}),
        grpc.method_handlers_generic_handler("plugin.GRPCBroker", {
            "StartStream": grpc.stream_stream_rpc_method_handler(p.broker, identity, identity)}),
        grpc.method_handlers_generic_handler("plugin.GRPCStdio", {
            "StreamStdio": grpc.unary_stream_rpc_method_handler(p.stdio, identity, identity)}),
        grpc.method_handlers_generic_handler("grpc.reflection.v1alpha.ServerReflection", {
            "ServerReflectionInfo": grpc.stream_stream_rpc_method_handler(p.reflection, identity, identity)}),
    ]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=handlers)
    sock = os.path.join(os.environ.get("TMPDIR", "/tmp"), "plugin-py-%d" % os.getpid())
    cert_field, creds = "", None
    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    if client_cert:
        key_pem, cert_pem, cert_field = make_cert()
        creds = grpc.ssl_server_credentials([(key_pem, cert_pem)], root_certificates=client_cert.encode(),
                                            require_client_auth=True)
    line = "1|1|unix|%s|grpc|%s" % (sock, cert_field)
    if args.announce_early:
        print(line, flush=True)
        time.sleep(args.announce_early)
    # grpcio binds (and accepts into the backlog) as soon as a port is added.
    if creds:
        server.add_secure_port("unix:" + sock, creds)
    else:
        server.add_insecure_port("unix:" + sock)
    server.start()
    log("DEBUG", "listening on " + sock)
    if args.slow_line:
        out = sys.stdout.buffer
        data = (line + "\n").encode()
        for i in range(0, len(data), 16):
            out.write(data[i:i + 16])
            out.flush()
            time.sleep(0.01)
    elif not args.announce_early:
        print(line, flush=True)
    if args.stdout_line:
        print(args.stdout_line, flush=True)
    while not p.stop.wait(0.1):
        pass
    server.stop(0.2).wait()
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass


if __name__ == "__main__":
    main()
