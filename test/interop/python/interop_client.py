#!/usr/bin/python3
"""gRPC interop test client (grpc.testing.TestService) on python3-grpcio.

Implements the cases of grpc's doc/interop-test-descriptions.md that a Python
client can drive.  Prints `PASS name` / `FAIL name: reason` per case and a
final `N passed, N failed`; exits 0 only if every case passed.

  interop_client.py --target unix:/tmp/s.sock
  interop_client.py --target 127.0.0.1:50051 --tls --ca ca.pem \
      --server-name localhost [--client-cert c.pem --client-key c.key] \
      [--cases empty_unary,large_unary] [--timeout 10] [--stubs-dir DIR]

Every RPC carries a deadline derived from the per-case --timeout.
Limitation: python-grpcio cannot see the per-message compressed flag, so
server_compressed_unary only checks that the call and payload are right
(h2_compressed_check.py checks the flag on the wire).
"""
import argparse
import queue
import sys
import time

import grpc

import interop_stubs

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"
INITIAL_VALUE = "test_initial_metadata_value"
TRAILING_VALUE = b"\xab\xab\xab"
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
# (request payload size, response size) pairs shared by the streaming cases.
STREAM_SIZES = [(27182, 31415), (8, 9), (1828, 2653), (45904, 58979)]

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


class Failure(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Failure(msg)


def expect_status(err, code, details=None):
    expect(err.code() == code, f"expected {code.name}, got {err.code().name}: {err.details()!r}")
    if details is not None:
        expect(err.details() == details, f"status message {err.details()!r} != {details!r}")


def expect_rpc_error(fn, code, details=None):
    """Run fn(), which must fail with the given status."""
    try:
        fn()
    except grpc.RpcError as err:
        expect_status(err, code, details)
        return
    raise Failure(f"call succeeded, expected {code.name}")


def expect_payload(resp, size):
    body = resp.payload.body
    expect(len(body) == size, f"payload is {len(body)} bytes, expected {size}")
    expect(body == bytes(size), "payload is not all zeros")


class Pipe:
    """Request iterator fed from the test thread; close() half-closes."""

    def __init__(self):
        self._q = queue.Queue()

    def send(self, msg):
        self._q.put(msg)

    def close(self):
        self._q.put(None)

    def __iter__(self):
        while (msg := self._q.get()) is not None:
            yield msg


class Env:
    """What a case needs: stubs, message module and the case deadline."""

    def __init__(self, channel, stubs, timeout):
        self.pb = stubs.messages_pb2
        self.empty = stubs.empty_pb2.Empty
        self.stub = stubs.test_pb2_grpc.TestServiceStub(channel)
        self.unimplemented = stubs.test_pb2_grpc.UnimplementedServiceStub(channel)
        self.deadline = time.monotonic() + timeout

    def left(self):
        """Seconds left for this case, used as every call's timeout."""
        return max(0.001, self.deadline - time.monotonic())

    def zeros(self, n):
        return self.pb.Payload(body=bytes(n))

    def large_request(self, **kw):
        return self.pb.SimpleRequest(response_size=314159, payload=self.zeros(271828), **kw)

    def stream_request(self, size, psize=0, **kw):
        return self.pb.StreamingOutputCallRequest(
            response_parameters=[self.pb.ResponseParameters(size=size)],
            payload=self.zeros(psize), **kw)


@case
def empty_unary(t):
    resp = t.stub.EmptyCall(t.empty(), timeout=t.left())
    expect(isinstance(resp, t.empty), f"unexpected response type {type(resp)}")


@case
def large_unary(t):
    expect_payload(t.stub.UnaryCall(t.large_request(), timeout=t.left()), 314159)


@case
def client_compressed_unary(t):
    bv = t.pb.BoolValue
    expect_rpc_error(lambda: t.stub.UnaryCall(t.large_request(expect_compressed=bv(value=True)),
                                              timeout=t.left()),
                     grpc.StatusCode.INVALID_ARGUMENT)
    resp = t.stub.UnaryCall(t.large_request(expect_compressed=bv(value=True)),
                            compression=grpc.Compression.Gzip, timeout=t.left())
    expect_payload(resp, 314159)
    resp = t.stub.UnaryCall(t.large_request(expect_compressed=bv(value=False)), timeout=t.left())
    expect_payload(resp, 314159)


@case
def server_compressed_unary(t):
    for flag in (True, False):
        req = t.large_request(response_compressed=t.pb.BoolValue(value=flag))
        expect_payload(t.stub.UnaryCall(req, timeout=t.left()), 314159)


@case
def client_streaming(t):
    reqs = [t.pb.StreamingInputCallRequest(payload=t.zeros(n)) for n, _ in STREAM_SIZES]
    resp = t.stub.StreamingInputCall(iter(reqs), timeout=t.left())
    expect(resp.aggregated_payload_size == 74922,
           f"aggregated_payload_size {resp.aggregated_payload_size} != 74922")


@case
def server_streaming(t):
    req = t.pb.StreamingOutputCallRequest(
        response_parameters=[t.pb.ResponseParameters(size=s) for _, s in STREAM_SIZES])
    resps = list(t.stub.StreamingOutputCall(req, timeout=t.left()))
    expect(len(resps) == len(STREAM_SIZES), f"got {len(resps)} responses, expected 4")
    for resp, (_, size) in zip(resps, STREAM_SIZES):
        expect_payload(resp, size)


@case
def ping_pong(t):
    pipe = Pipe()
    call = t.stub.FullDuplexCall(iter(pipe), timeout=t.left())
    try:
        for psize, size in STREAM_SIZES:
            pipe.send(t.stream_request(size, psize))
            expect_payload(next(call), size)
        pipe.close()
        expect(list(call) == [], "extra responses after half-close")
    finally:
        pipe.close()
        call.cancel()


@case
def empty_stream(t):
    resps = list(t.stub.FullDuplexCall(iter([]), timeout=t.left()))
    expect(resps == [], f"got {len(resps)} responses, expected 0")


def _expect_echoed_metadata(call):
    initial = [(m.key, m.value) for m in call.initial_metadata()]
    trailing = [(m.key, m.value) for m in call.trailing_metadata()]
    expect((ECHO_INITIAL, INITIAL_VALUE) in initial, f"initial metadata lacks echo: {initial}")
    expect((ECHO_TRAILING, TRAILING_VALUE) in trailing, f"trailing metadata lacks echo: {trailing}")


@case
def custom_metadata(t):
    md = ((ECHO_INITIAL, INITIAL_VALUE), (ECHO_TRAILING, TRAILING_VALUE))
    resp, call = t.stub.UnaryCall.with_call(t.large_request(), metadata=md, timeout=t.left())
    expect_payload(resp, 314159)
    _expect_echoed_metadata(call)
    call = t.stub.FullDuplexCall(iter([t.stream_request(314159, 271828)]), metadata=md,
                                 timeout=t.left())
    resps = list(call)
    expect(len(resps) == 1, f"bidi: got {len(resps)} responses, expected 1")
    expect_payload(resps[0], 314159)
    _expect_echoed_metadata(call)


def _echo_status(t, code, message, bidi):
    status = t.pb.EchoStatus(code=code, message=message)
    if bidi:
        req = t.pb.StreamingOutputCallRequest(response_status=status)
        fn = lambda: list(t.stub.FullDuplexCall(iter([req]), timeout=t.left()))
    else:
        fn = lambda: t.stub.UnaryCall(t.pb.SimpleRequest(response_status=status), timeout=t.left())
    expect_rpc_error(fn, grpc.StatusCode.UNKNOWN, message)


@case
def status_code_and_message(t):
    _echo_status(t, 2, "test status message", bidi=False)
    _echo_status(t, 2, "test status message", bidi=True)


@case
def special_status_message(t):
    _echo_status(t, 2, SPECIAL_MESSAGE, bidi=False)


@case
def unimplemented_method(t):
    expect_rpc_error(lambda: t.stub.UnimplementedCall(t.empty(), timeout=t.left()),
                     grpc.StatusCode.UNIMPLEMENTED)


@case
def unimplemented_service(t):
    expect_rpc_error(lambda: t.unimplemented.UnimplementedCall(t.empty(), timeout=t.left()),
                     grpc.StatusCode.UNIMPLEMENTED)


@case
def cancel_after_begin(t):
    pipe = Pipe()
    call = t.stub.StreamingInputCall.future(iter(pipe), timeout=t.left())
    time.sleep(0.1)  # let the headers reach the server, so it sees a RST_STREAM
    call.cancel()
    pipe.close()
    expect(call.code() == grpc.StatusCode.CANCELLED, f"status {call.code().name}, expected CANCELLED")


@case
def cancel_after_first_response(t):
    pipe = Pipe()
    call = t.stub.FullDuplexCall(iter(pipe), timeout=t.left())
    try:
        pipe.send(t.stream_request(31415, 27182))
        expect_payload(next(call), 31415)
        call.cancel()
        expect(call.code() == grpc.StatusCode.CANCELLED,
               f"status {call.code().name}, expected CANCELLED")
    finally:
        pipe.close()


@case
def timeout_on_sleeping_server(t):
    pipe = Pipe()  # left open: the server has nothing to answer and keeps waiting
    call = t.stub.FullDuplexCall(iter(pipe), timeout=0.001)
    try:
        pipe.send(t.pb.StreamingOutputCallRequest(payload=t.zeros(27182)))
        expect_rpc_error(lambda: list(call), grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        pipe.close()


@case
def concurrent_large_unary(t):
    futures = [t.stub.UnaryCall.future(t.large_request(), timeout=t.left()) for _ in range(100)]
    try:
        for fut in futures:
            expect_payload(fut.result(), 314159)
    finally:
        for fut in futures:
            fut.cancel()


def make_channel(args):
    if not args.tls:
        return grpc.insecure_channel(args.target)

    def read(path):
        with open(path, "rb") as f:
            return f.read()

    creds = grpc.ssl_channel_credentials(
        root_certificates=read(args.ca),
        private_key=read(args.client_key) if args.client_key else None,
        certificate_chain=read(args.client_cert) if args.client_cert else None)
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    return grpc.secure_channel(args.target, creds, options)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="unix:/path or host:port")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca", help="root certificate PEM (with --tls)")
    p.add_argument("--server-name", help="TLS name override")
    p.add_argument("--client-cert", help="client certificate PEM for mTLS")
    p.add_argument("--client-key", help="client private key PEM for mTLS")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    p.add_argument("--stubs-dir", help="stub directory (generated there if missing)")
    args = p.parse_args()
    names = [n for n in args.cases.split(",") if n]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        p.error(f"unknown case(s): {', '.join(unknown)}; known: {', '.join(CASES)}")
    if args.tls and not args.ca:
        p.error("--tls needs --ca")
    if bool(args.client_cert) != bool(args.client_key):
        p.error("--client-cert and --client-key go together")

    stubs = interop_stubs.load(args.stubs_dir)
    passed = failed = 0
    with make_channel(args) as channel:
        for name in names:
            try:
                CASES[name](Env(channel, stubs, args.timeout))
            except grpc.RpcError as err:
                print(f"FAIL {name}: rpc failed: {err.code().name}: {err.details()!r}")
                failed += 1
            except Exception as err:  # Failure, or a bug surfacing as a failure
                print(f"FAIL {name}: {err or type(err).__name__}")
                failed += 1
            else:
                print(f"PASS {name}")
                passed += 1
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
