#!/usr/bin/python3
"""Reference grpc.testing.TestService server on python3-grpcio.

Only used to validate interop_client.py / h2_compressed_check.py; the server
under test is the C++ one.

  interop_server.py --listen unix:/tmp/s.sock
  interop_server.py --listen 127.0.0.1:0            # prints `PORT n` first
  interop_server.py --listen 127.0.0.1:50051 --tls --cert c.pem --key c.key \
      [--client-ca ca.pem]                           # mTLS: require client certs

Prints `READY` on stdout once serving.

Features: EmptyCall, UnaryCall, StreamingOutputCall (interval_us, per-message
`compressed`), StreamingInputCall, FullDuplexCall, HalfDuplexCall, Echo
Status, Echo Metadata, CompressedResponse (gzip via set_compression /
disable_next_message_compression) and CompressedRequest.

grpc-python hides whether a request message was compressed, so the server
turns off core's per-message decompression ("grpc.per_message_decompression"
= 0) and inspects the raw bytes itself: gzip (1f 8b) or zlib/deflate (78 xx,
header checksum ok) means compressed.  A plain protobuf never starts with 1f
(wire type 7) and 78 would be field 15, absent from these messages.
"""
import argparse
import collections
import gzip
import signal
import sys
import time
import zlib
from concurrent import futures

import grpc

import interop_stubs

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
STATUS_BY_NUMBER = {s.value[0]: s for s in grpc.StatusCode}

# A decoded request message plus whether it arrived compressed.
Req = collections.namedtuple("Req", "msg compressed")


def decoder(cls):
    def decode(raw):
        if raw[:2] == b"\x1f\x8b":
            return Req(cls.FromString(gzip.decompress(raw)), True)
        if len(raw) >= 2 and raw[0] == 0x78 and int.from_bytes(raw[:2], "big") % 31 == 0:
            return Req(cls.FromString(zlib.decompress(raw)), True)
        return Req(cls.FromString(raw), False)
    return decode


def check_compressed(expect_compressed, req, ctx):
    """CompressedRequest: the request must be compressed exactly as announced."""
    if expect_compressed is not None and expect_compressed.value != req.compressed:
        ctx.abort(grpc.StatusCode.INVALID_ARGUMENT,
                  f"expected compressed={expect_compressed.value}, got {req.compressed}")


def echo_metadata(ctx):
    md = {m.key: m.value for m in ctx.invocation_metadata()}
    if ECHO_INITIAL in md:
        ctx.send_initial_metadata(((ECHO_INITIAL, md[ECHO_INITIAL]),))
    if ECHO_TRAILING in md:
        ctx.set_trailing_metadata(((ECHO_TRAILING, md[ECHO_TRAILING]),))


def echo_status(msg, ctx):
    if msg.HasField("response_status") and msg.response_status.code != 0:
        code = STATUS_BY_NUMBER.get(msg.response_status.code, grpc.StatusCode.UNKNOWN)
        ctx.abort(code, msg.response_status.message)


def field(msg, name):
    return getattr(msg, name) if msg.HasField(name) else None


class TestService:
    def __init__(self, pb, empty):
        self.pb, self.empty = pb, empty

    def payload(self, response_type, size, ctx):
        if response_type != self.pb.COMPRESSABLE:
            ctx.abort(grpc.StatusCode.INVALID_ARGUMENT, f"unsupported response_type {response_type}")
        return self.pb.Payload(type=response_type, body=bytes(size))

    def responses(self, msg, ctx):
        """StreamingOutputCallResponses for one request's response_parameters."""
        params = msg.response_parameters
        if any(p.compressed.value for p in params):
            ctx.set_compression(grpc.Compression.Gzip)  # effective before headers go out
        for p in params:
            if p.interval_us:
                time.sleep(p.interval_us / 1e6)
            if not p.compressed.value:
                ctx.disable_next_message_compression()
            yield self.pb.StreamingOutputCallResponse(
                payload=self.payload(msg.response_type, p.size, ctx))

    def EmptyCall(self, req, ctx):
        return self.empty()

    def UnaryCall(self, req, ctx):
        msg = req.msg
        if msg.response_compressed.value:
            ctx.set_compression(grpc.Compression.Gzip)  # before echo sends headers
        echo_metadata(ctx)
        check_compressed(field(msg, "expect_compressed"), req, ctx)
        echo_status(msg, ctx)
        return self.pb.SimpleResponse(payload=self.payload(msg.response_type, msg.response_size, ctx))

    def StreamingOutputCall(self, req, ctx):
        echo_metadata(ctx)
        echo_status(req.msg, ctx)
        yield from self.responses(req.msg, ctx)

    def StreamingInputCall(self, reqs, ctx):
        echo_metadata(ctx)
        total = 0
        for req in reqs:
            check_compressed(field(req.msg, "expect_compressed"), req, ctx)
            total += len(req.msg.payload.body)
        return self.pb.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, reqs, ctx):
        echo_metadata(ctx)
        for req in reqs:
            echo_status(req.msg, ctx)
            yield from self.responses(req.msg, ctx)

    def HalfDuplexCall(self, reqs, ctx):
        echo_metadata(ctx)
        for msg in [req.msg for req in reqs]:
            echo_status(msg, ctx)
            yield from self.responses(msg, ctx)


def make_handler(stubs):
    pb, empty = stubs.messages_pb2, stubs.empty_pb2.Empty
    svc = TestService(pb, empty)
    ser = lambda m: m.SerializeToString()
    kinds = {
        "EmptyCall": (grpc.unary_unary_rpc_method_handler, empty),
        "UnaryCall": (grpc.unary_unary_rpc_method_handler, pb.SimpleRequest),
        "StreamingOutputCall": (grpc.unary_stream_rpc_method_handler, pb.StreamingOutputCallRequest),
        "StreamingInputCall": (grpc.stream_unary_rpc_method_handler, pb.StreamingInputCallRequest),
        "FullDuplexCall": (grpc.stream_stream_rpc_method_handler, pb.StreamingOutputCallRequest),
        "HalfDuplexCall": (grpc.stream_stream_rpc_method_handler, pb.StreamingOutputCallRequest),
    }
    handlers = {name: kind(getattr(svc, name), request_deserializer=decoder(cls),
                           response_serializer=ser)
                for name, (kind, cls) in kinds.items()}
    return grpc.method_handlers_generic_handler("grpc.testing.TestService", handlers)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", required=True, help="unix:/path or host:port (port 0 = any)")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--cert", help="server certificate chain PEM")
    p.add_argument("--key", help="server private key PEM")
    p.add_argument("--client-ca", help="require client certificates signed by this CA")
    p.add_argument("--stubs-dir", help="stub directory (generated there if missing)")
    args = p.parse_args()
    if args.tls and not (args.cert and args.key):
        p.error("--tls needs --cert and --key")

    stubs = interop_stubs.load(args.stubs_dir)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=64),
                         handlers=[make_handler(stubs)],
                         options=[("grpc.per_message_decompression", 0)])
    if args.tls:
        def read(path):
            with open(path, "rb") as f:
                return f.read()
        creds = grpc.ssl_server_credentials(
            [(read(args.key), read(args.cert))],
            root_certificates=read(args.client_ca) if args.client_ca else None,
            require_client_auth=bool(args.client_ca))
        port = server.add_secure_port(args.listen, creds)
    else:
        port = server.add_insecure_port(args.listen)
    if not port:
        sys.exit(f"cannot listen on {args.listen}")
    server.start()
    if not args.listen.startswith("unix:") and args.listen.endswith(":0"):
        print(f"PORT {port}")
    print("READY", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)


if __name__ == "__main__":
    main()
