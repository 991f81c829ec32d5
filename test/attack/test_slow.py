#!/usr/bin/python3
"""Slow and stalling clients against rpcplugin-interop-server: each is cut off in time.

    test_slow.py --server rpcplugin-interop-server

One fresh server per case, run with --preface-timeout-ms 500 and --write-stall-timeout-ms
500. Cases: zero window (SETTINGS_INITIAL_WINDOW_SIZE 0 and 100 calls whose responses can
never be sent: each stream is reset with CANCEL at the write-stall timeout); slowloris on
the HTTP/2 preface (60 connections sending nothing or half the preface) and on the TLS
handshake (half a ClientHello), closed at the preface deadline; an idle connection closed
with GOAWAY(NO_ERROR) at --idle-timeout-ms while a connection with an open call is not;
half-open connections beyond --max-pending-handshakes closed at once.
Each asserts the cut-off within 1 s of the limit, the healthy connection answering during
and after, and the server's peak RSS growth under 32 MiB.
"""
import os
import ssl
import tempfile
import time

from attacklib import (CANCEL, NO_ERROR, PREFACE, Attack, Cases, Raw, cut_off, data_frame,
                       grpc_frame, grpc_headers, headers_frame, name, parse_args, run_main,
                       simple_request)
from protolib import client_tls_context, make_cert

DEADLINE = 0.5  # --preface-timeout-ms and --write-stall-timeout-ms of attacklib.TEST_FLAGS
FULL_DUPLEX = "/grpc.testing.TestService/FullDuplexCall"


def zero_window(binary):
    with Attack(binary) as a:
        r = Raw(a.server, settings=[(0x4, 0)])  # SETTINGS_INITIAL_WINDOW_SIZE = 0
        ids = list(range(1, 200, 2))            # 100 calls: MAX_CONCURRENT_STREAMS
        req = grpc_frame(simple_request(1000))
        r.send(b"".join(headers_frame(sid) + data_frame(sid, req, end_stream=True)
                        for sid in ids))
        crossed = time.monotonic() + DEADLINE
        a.healthy_unary()  # during
        seen = r.read_until(lambda f: len(r.resets()) >= len(ids), timeout=5)
        took = cut_off(crossed, seen, "zero window")
        resets = r.resets()
        assert sorted(resets) == ids and set(resets.values()) == {CANCEL}, resets
        data = [f for f in r.frames if name(f) == "DataFrame" and f.data]
        assert not data, "DATA sent into a zero window: %r" % data[:1]
        r.close()
        growth = a.check_after()
    return "100 RST_STREAM(CANCEL) %.2f s after the limit, RSS +%.1f MiB" % (
        took, growth / 2**20)


def slowloris_preface(binary):
    with Attack(binary) as a:
        conns = []
        for i in range(60):
            r = Raw(a.server, preface=False)
            if i % 2:
                r.send(PREFACE[:12])
            conns.append((r, time.monotonic() + DEADLINE))
        a.healthy_unary()  # during
        worst = 0.0
        for r, crossed in conns:
            seen = r.read_to_close(timeout=3)
            worst = max(worst, cut_off(crossed, seen, "slowloris on the preface"))
            assert not r.frames, "frames before a complete preface: %r" % r.frames[:2]
            r.close()
        growth = a.check_after()
    return "60 connections closed at most %.2f s after the deadline, RSS +%.1f MiB" % (
        worst, growth / 2**20)


def half_open_cap(binary):
    # 8 places for connections in their handshake: a 9th half-open connection is closed at
    # once, while established connections keep answering; new ones are served again once
    # the half-open ones reached their deadline.
    with Attack(binary, ["--max-pending-handshakes", "8", "--preface-timeout-ms", "2000"]) as a:
        held = []
        for i in range(8):
            r = Raw(a.server, preface=False)
            if i % 2:
                r.send(PREFACE[:10])
            held.append(r)
        time.sleep(0.3)  # accepted by now
        extra = Raw(a.server, preface=False)
        crossed = time.monotonic()
        seen = extra.read_to_close(timeout=3)
        took = cut_off(crossed, seen, "a connection beyond max_pending_handshakes")
        assert not extra.frames, "frames to a refused connection: %r" % extra.frames[:2]
        assert not any(r.closed for r in held), "a held half-open connection was closed early"
        a.healthy_unary()  # during
        for r in held:
            r.read_to_close(timeout=4)
            r.close()
        extra.close()
        growth = a.check_after()  # includes a new connection and call
    return "the 9th half-open connection closed after %.2f s, RSS +%.1f MiB" % (
        took, growth / 2**20)


def client_hello():
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16", "not a TLS record"
    return hello


def slowloris_tls(binary):
    with tempfile.TemporaryDirectory(prefix="rpcplugin-attack-") as d:
        cert, key = make_cert(d)
        flags = ["--tls", "--cert", cert, "--key", key]
        with Attack(binary, flags, listen="tcp", tls_context=client_tls_context(cert)) as a:
            hello = client_hello()
            conns = []
            for i in range(20):
                r = Raw(a.server, preface=False)
                r.send(hello[:len(hello) // 2] if i % 2 else hello[:5])
                conns.append((r, time.monotonic() + DEADLINE))
            a.healthy_unary()  # during
            worst = 0.0
            for r, crossed in conns:
                seen = r.read_to_close(timeout=3)
                worst = max(worst, cut_off(crossed, seen, "slowloris on the TLS handshake"))
                r.close()
            growth = a.check_after()
    return "20 half handshakes closed at most %.2f s after the deadline, RSS +%.1f MiB" % (
        worst, growth / 2**20)


def idle_connection(binary):
    # Healthy connections between calls are idle too: no connection opened before.
    with Attack(binary, ["--idle-timeout-ms", "500"], healthy=False) as a:
        idle = Raw(a.server)
        busy = Raw(a.server)
        busy.send(headers_frame(1, grpc_headers(path=FULL_DUPLEX)))  # a call left open
        crossed = time.monotonic() + DEADLINE
        seen = idle.read_to_close(timeout=3)
        took = cut_off(crossed, seen, "idle connection")
        assert seen - crossed > -0.1, "closed %.2f s before the idle timeout" % (crossed - seen)
        g = idle.goaway()
        assert g is not None and g.error_code == NO_ERROR and g.additional_data == b"idle", g
        busy.read_until(lambda f: False, timeout=1.0)
        assert not busy.closed and busy.goaway() is None, "a connection with an open call " \
            "was closed as idle"
        busy.send(data_frame(1, b"", end_stream=True))  # the call ends: now it is idle
        ended = time.monotonic()
        seen = busy.read_to_close(timeout=3)
        cut_off(ended + DEADLINE, seen, "idle after its last call")
        idle.close()
        busy.close()
        growth = a.check_after()
    return "GOAWAY(NO_ERROR) %.2f s after the idle timeout, RSS +%.1f MiB" % (
        took, growth / 2**20)


def main():
    args = parse_args()
    b = args.server
    t = Cases()
    t.case("zero_window_streams_reset_at_write_stall_timeout", lambda: zero_window(b))
    t.case("slowloris_preface_closed_at_deadline", lambda: slowloris_preface(b))
    t.case("slowloris_tls_handshake_closed_at_deadline", lambda: slowloris_tls(b))
    t.case("idle_connection_goaway_no_error", lambda: idle_connection(b))
    t.case("half_open_connections_capped", lambda: half_open_cap(b))
    return t.finish()


if __name__ == "__main__":
    run_main(main)
