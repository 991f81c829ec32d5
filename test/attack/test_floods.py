#!/usr/bin/python3
"""Frame floods against rpcplugin-interop-server; each is cut off, the server stays healthy.

    test_floods.py --server rpcplugin-interop-server

One fresh server per case (Unix socket, short timeouts), a healthy HTTP/2 connection opened
before the attack. Cases: rapid reset (2000 HEADERS+RST_STREAM), CONTINUATION flood,
glitch flood (empty DATA, PRIORITY), HEADERS on a lower never-opened stream id, ping abuse,
a PING flood and a SETTINGS flood from a client that does not read (with gRPC's ping policy,
and with it off so that only backpressure and the write-stall timeout remain), and an
HPACK bomb. Each asserts the cut-off within 1 s of crossing the limit, the healthy
connection answering during and after, and the server's peak RSS growth under 32 MiB.
"""
import time

from attacklib import (ACK, CONTINUATION, DATA, ENHANCE_YOUR_CALM, H2, PROTOCOL_ERROR,
                       RESOURCE_EXHAUSTED, Attack, Cases, Raw, cut_off, data_frame, frame,
                       grpc_frame, grpc_headers, headers_frame, hpack_literal, name,
                       parse_args, ping_frame, rst_frame, run_main, settings_frame,
                       simple_request)

INPUT = "/grpc.testing.TestService/StreamingInputCall"


def goaway_of(r):
    g = r.goaway()
    assert g is not None, "no GOAWAY; frames: %s" % [name(f) for f in r.frames[-5:]]
    return g


def rapid_reset(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        burst = b"".join(headers_frame(sid) + rst_frame(sid) for sid in range(1, 4001, 2))
        r.send(burst)
        crossed = time.monotonic()
        a.healthy_unary()  # during
        seen = r.read_until(lambda f: name(f) == "GoAwayFrame")
        took = cut_off(crossed, seen, "rapid reset")
        code = goaway_of(r).error_code  # nghttp2's RST_STREAM rate limit: INTERNAL_ERROR
        r.close()
        growth = a.check_after()
    return "GOAWAY(%s) after %.2f s, RSS +%.1f MiB" % (code, took, growth / 2**20)


def continuation_flood(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        flood = headers_frame(1, end_headers=False)
        for i in range(50):
            flood += frame(CONTINUATION, 0, 1, hpack_literal("x-pad-%d" % i, "p" * 64))
        r.send(flood)
        crossed = time.monotonic()
        seen = r.read_to_close()
        took = cut_off(crossed, seen, "CONTINUATION flood")
        assert goaway_of(r).error_code == ENHANCE_YOUR_CALM, goaway_of(r)
        r.close()
        growth = a.check_after()
    return "closed after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def glitch_flood(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        flood = headers_frame(1, grpc_headers(path=INPUT))
        empty, prio = data_frame(1), frame(2, 0, 1, b"\0\0\0\0\x10")
        flood += (empty + prio) * 1500  # 3000 glitches; the budget is 1000
        r.send(flood)
        crossed = time.monotonic()
        seen = r.read_to_close()
        took = cut_off(crossed, seen, "glitch flood")
        g = goaway_of(r)
        assert g.error_code == ENHANCE_YOUR_CALM and g.additional_data == b"too_many_glitches", g
        r.close()
        growth = a.check_after()
    return "closed after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def lower_stream_id(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        r.send(headers_frame(5, end_stream=True))
        r.send(headers_frame(3, end_stream=True))
        crossed = time.monotonic()
        seen = r.read_to_close()
        took = cut_off(crossed, seen, "lower stream id")
        g = goaway_of(r)
        assert g.error_code == PROTOCOL_ERROR and g.last_stream_id == 5, g
        r.close()
        growth = a.check_after()
    return "GOAWAY(PROTOCOL_ERROR) after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def ping_abuse(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        r.send(ping_frame() * 3)  # the first PING and 2 strikes
        time.sleep(0.1)
        r.send(ping_frame())      # the third strike
        crossed = time.monotonic()
        seen = r.read_to_close()
        took = cut_off(crossed, seen, "ping abuse")
        g = goaway_of(r)
        assert g.error_code == ENHANCE_YOUR_CALM and g.additional_data == b"too_many_pings", g
        acks = [f for f in r.frames if name(f) == "PingFrame" and "ACK" in f.flags]
        # nghttp2 acknowledges a PING before the policy sees it: 3 or 4 ACKs.
        assert len(acks) in (3, 4), "expected 3 or 4 PING ACKs, got %d" % len(acks)
        r.close()
        growth = a.check_after()
    return "GOAWAY too_many_pings after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def flood_not_reading(binary, unit, flags, expect_debug):
    """A client that floods `unit` frames and never reads, on a small receive buffer.
    With `expect_debug` a policy must close it at once with that GOAWAY; without, the
    server must stop reading (backpressure) and close it at the write-stall timeout."""
    with Attack(binary, flags) as a:
        r = Raw(a.server, rcvbuf=4096)
        t0 = time.monotonic()
        sent, stopped, closed = r.flood(unit, 64 << 20)
        if expect_debug is not None:
            assert closed, "not closed by the policy (%d bytes taken)" % sent
            took = cut_off(t0, r.broken_at, "flood of %s" % name(unit))
            r.read_to_close()  # what the server said before closing
            g = goaway_of(r)
            assert g.error_code == ENHANCE_YOUR_CALM and g.additional_data == expect_debug, g
        else:
            # Backpressure: the server stops taking bytes for a while before it closes
            # (without it, nghttp2 would read on and close at 1000 queued ACKs).
            assert stopped is not None, "the server took all it got until it closed: " \
                "no backpressure? (%d bytes)" % sent
            if not closed:
                a.healthy_unary()  # during: this connection is stalled, others are not
            took = cut_off(stopped, r.broken_at or r.wait_broken(3.0), "flood of %s" % name(unit))
            # Closed by the write-stall timeout (500 ms), not by nghttp2's flood detection.
            assert took >= 0.2, "closed %.2f s after it stalled: not the write-stall " \
                "timeout" % took
        r.close()
        growth = a.check_after()
    return "%.2f MB taken, %s after %.2f s, RSS +%.1f MiB" % (
        sent / 1e6, "GOAWAY" if expect_debug else "stalled, closed", took, growth / 2**20)


def hpack_bomb(binary):
    with Attack(binary) as a:
        c = H2(a.server)
        # 4000-byte literal into the dynamic table, then 3000 one-byte references:
        # about 12 MB of header list from about 7 kB on the wire.
        bomb = [("x-bomb", "b" * 4000)] * 3000
        sid = c.request(grpc_headers(extra=bomb), grpc_frame(simple_request(8)))
        crossed = time.monotonic()
        res = c.wait(sid, timeout=3)
        took = cut_off(crossed, time.monotonic(), "HPACK bomb")
        assert res.status == RESOURCE_EXHAUSTED, "expected RESOURCE_EXHAUSTED: %r" % res
        c.close()
        growth = a.check_after()
    return "RESOURCE_EXHAUSTED after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def main():
    args = parse_args()
    b = args.server
    t = Cases()
    t.case("rapid_reset_goaway", lambda: rapid_reset(b))
    t.case("continuation_flood_goaway_enhance_your_calm", lambda: continuation_flood(b))
    t.case("glitch_flood_goaway_too_many_glitches", lambda: glitch_flood(b))
    t.case("lower_stream_id_goaway_protocol_error", lambda: lower_stream_id(b))
    t.case("ping_abuse_goaway_too_many_pings", lambda: ping_abuse(b))
    t.case("ping_flood_not_reading_ping_policy",
           lambda: flood_not_reading(b, ping_frame(), [], b"too_many_pings"))
    t.case("ping_flood_not_reading_backpressure_and_write_stall",
           lambda: flood_not_reading(b, ping_frame(), ["--max-ping-strikes", "0"], None))
    t.case("settings_flood_not_reading_glitch_budget",
           lambda: flood_not_reading(b, settings_frame(), [], b"too_many_glitches"))
    t.case("settings_flood_not_reading_backpressure_and_write_stall",
           lambda: flood_not_reading(b, settings_frame(), ["--glitch-burst", "0"], None))
    t.case("hpack_bomb_resource_exhausted", lambda: hpack_bomb(b))
    return t.finish()


if __name__ == "__main__":
    run_main(main)
