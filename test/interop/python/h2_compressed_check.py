#!/usr/bin/python3
"""Check the per-message compressed flag of UnaryCall responses on the wire.

A raw HTTP/2 (h2c, prior knowledge) client on python3-h2 sends
grpc.testing.TestService/UnaryCall with `grpc-accept-encoding: gzip` and
response_compressed = true, then = false, and checks the response's 5-byte
gRPC message prefix (flag 1 with grpc-encoding gzip, resp. flag 0), the
314159-byte zero payload and grpc-status 0.  Output as interop_client.py.

  h2_compressed_check.py --target unix:/tmp/s.sock [--timeout 10] [--stubs-dir DIR]
  h2_compressed_check.py --target 127.0.0.1:50051
"""
import argparse
import gzip
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events

import interop_stubs

RESPONSE_SIZE = 314159


def connect(target, timeout):
    if target.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(target[len("unix:"):])
        return sock, "localhost"
    host, _, port = target.rpartition(":")
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    return sock, target


def unary_call(target, path, body, timeout):
    """One gRPC unary call; returns (headers, trailers, [(flag, message bytes)])."""
    deadline = time.monotonic() + timeout
    sock, authority = connect(target, timeout)
    with sock:
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [
            (":method", "POST"), (":scheme", "http"), (":path", path),
            (":authority", authority), ("content-type", "application/grpc"),
            ("te", "trailers"), ("grpc-accept-encoding", "gzip"),
            ("grpc-timeout", f"{int(timeout * 1000)}m")])
        # The request is tiny, far below the initial 64 KiB window and frame size.
        conn.send_data(sid, b"\0" + len(body).to_bytes(4, "big") + body, end_stream=True)
        sock.sendall(conn.data_to_send())

        headers, trailers, data, done = {}, {}, b"", False
        while not done:
            sock.settimeout(max(0.001, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before the stream ended")
            for ev in conn.receive_data(chunk):
                if isinstance(ev, h2.events.ResponseReceived):
                    headers = dict(ev.headers)
                elif isinstance(ev, h2.events.TrailersReceived):
                    trailers = dict(ev.headers)
                elif isinstance(ev, h2.events.DataReceived):
                    data += ev.data
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamReset):
                    raise ConnectionError(f"stream reset, error code {ev.error_code}")
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    raise ConnectionError(f"GOAWAY, error code {ev.error_code}")
                elif isinstance(ev, h2.events.StreamEnded):
                    done = True
            sock.sendall(conn.data_to_send())
        conn.close_connection()
        sock.sendall(conn.data_to_send())

    messages = []
    while data:
        if len(data) < 5:
            raise ValueError("truncated gRPC message prefix")
        flag, size = data[0], int.from_bytes(data[1:5], "big")
        if len(data) < 5 + size:
            raise ValueError("truncated gRPC message")
        messages.append((flag, data[5:5 + size]))
        data = data[5 + size:]
    return headers, trailers, messages


def check(pb, target, compressed, timeout):
    """Return None on success, else a failure reason."""
    req = pb.SimpleRequest(response_size=RESPONSE_SIZE,
                           response_compressed=pb.BoolValue(value=compressed))
    headers, trailers, messages = unary_call(
        target, "/grpc.testing.TestService/UnaryCall", req.SerializeToString(), timeout)
    status = trailers.get("grpc-status", headers.get("grpc-status"))
    if headers.get(":status") != "200":
        return f":status {headers.get(':status')}"
    if status != "0":
        return f"grpc-status {status}: {trailers.get('grpc-message', '')}"
    if len(messages) != 1:
        return f"{len(messages)} response messages, expected 1"
    flag, msg = messages[0]
    if flag != int(compressed):
        return f"compressed flag {flag}, expected {int(compressed)}"
    if flag:
        if headers.get("grpc-encoding") != "gzip":
            return f"flag 1 but grpc-encoding {headers.get('grpc-encoding')!r}"
        msg = gzip.decompress(msg)
    body = pb.SimpleResponse.FromString(msg).payload.body
    if body != bytes(RESPONSE_SIZE):
        return f"payload is {len(body)} bytes (or not zeros), expected {RESPONSE_SIZE} zeros"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="unix:/path or host:port (plaintext h2c)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per case")
    p.add_argument("--stubs-dir", help="stub directory (generated there if missing)")
    args = p.parse_args()
    pb = interop_stubs.load(args.stubs_dir).messages_pb2

    passed = failed = 0
    for name, compressed in (("server_compressed_unary_true", True),
                             ("server_compressed_unary_false", False)):
        try:
            reason = check(pb, args.target, compressed, args.timeout)
        except Exception as err:  # socket/h2/parse errors all count as failures
            reason = f"{type(err).__name__}: {err}"
        if reason:
            print(f"FAIL {name}: {reason}")
            failed += 1
        else:
            print(f"PASS {name}")
            passed += 1
        sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
