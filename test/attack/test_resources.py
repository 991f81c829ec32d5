#!/usr/bin/python3
"""Resource exhaustion against rpcplugin-interop-server: streams, messages, buffers.

    test_resources.py --server rpcplugin-interop-server

One fresh server per case. Cases: stream exhaustion (100 calls left open, then a 101st
stream over the acknowledged MAX_CONCURRENT_STREAMS: a connection error); an 8 MiB message
(RESOURCE_EXHAUSTED on its length prefix, before it is buffered); partial messages (100
streams each sending most of a 4 MiB message: with --max-request-buffer 16 MiB the calls of
one connection may buffer 16 MiB, the stream that crosses it is reset with
ENHANCE_YOUR_CALM). Each asserts the
cut-off within 1 s of crossing the limit, the healthy connection answering during and
after, and the server's peak RSS growth under 32 MiB.
"""
import time

import h2.events
import h2.exceptions
import h2.settings

from attacklib import (ACK, ENHANCE_YOUR_CALM, H2, PROTOCOL_ERROR, REFUSED_STREAM,
                       RESOURCE_EXHAUSTED, SETTINGS, Attack, Cases, Raw, cut_off, frame,
                       grpc_headers, headers_frame, name, parse_args, run_main)

FULL_DUPLEX = "/grpc.testing.TestService/FullDuplexCall"
INPUT = "/grpc.testing.TestService/StreamingInputCall"


def stream_exhaustion(binary):
    with Attack(binary) as a:
        r = Raw(a.server)
        r.read_until(lambda f: name(f) == "SettingsFrame" and "ACK" not in f.flags)
        r.send(frame(SETTINGS, ACK, 0))  # MAX_CONCURRENT_STREAMS 100 is now in force
        ids = list(range(1, 201, 2))
        r.send(b"".join(headers_frame(sid, grpc_headers(path=FULL_DUPLEX)) for sid in ids))
        r.read_until(lambda f: False, timeout=0.3)
        assert not r.closed and r.goaway() is None and not r.resets(), \
            "100 open calls refused: %r" % r.frames[-3:]
        a.healthy_unary()  # during: 100 handlers wait on the attacker's connection
        r.send(headers_frame(201, grpc_headers(path=FULL_DUPLEX)))
        crossed = time.monotonic()
        seen = r.read_until(lambda f: name(f) == "GoAwayFrame" or
                            (name(f) == "RstStreamFrame" and f.stream_id == 201))
        took = cut_off(crossed, seen, "stream 101")
        g = r.goaway()
        assert (g is not None and g.error_code == PROTOCOL_ERROR) or \
            r.resets().get(201) == REFUSED_STREAM, r.frames[-3:]
        r.close()
        growth = a.check_after()
    return "stream 101 refused after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def large_message(binary):
    with Attack(binary) as a:
        c = H2(a.server)
        sid = c.request(grpc_headers(), None, end_stream=False)
        # An 8 MiB message: its length prefix and the first 48 kB.
        c.send_data(sid, b"\0" + (8 << 20).to_bytes(4, "big") + b"\0" * 16000)
        c.send_data(sid, b"\0" * 16000)
        c.send_data(sid, b"\0" * 16000)
        crossed = time.monotonic()
        res = c.wait(sid, timeout=3)
        took = cut_off(crossed, time.monotonic(), "8 MiB message")
        assert res.status == RESOURCE_EXHAUSTED and "larger than max" in (res.message or ""), res
        c.close()
        growth = a.check_after()
    return "RESOURCE_EXHAUSTED after %.2f s, RSS +%.1f MiB" % (took, growth / 2**20)


def partial_messages(binary):
    """100 streams each declare a 4 MiB message and send all of it but the last bytes.
    The server runs with --max-request-buffer 16 MiB (the default, 32 MiB, leaves room
    for 100 concurrent large unary calls)."""
    with Attack(binary, ["--max-request-buffer", str(16 << 20)]) as a:
        c = H2(a.server, timeout=10)
        c.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
        c.conn.increment_flow_control_window(2**30)
        c.flush()
        size, chunk = (4 << 20) - 5, b"x" * 16384
        left, resets = {}, {}
        for _ in range(100):
            sid = c.request(grpc_headers(path=INPUT), None, end_stream=False)
            c.send_data(sid, b"\0" + (4 << 20).to_bytes(4, "big"))
            left[sid] = size
        sent, crossed, first_reset, stalled_since = 0, None, None, None
        deadline = time.monotonic() + 20
        while left and time.monotonic() < deadline:
            progress = False
            for sid in list(left):
                if sid in resets:
                    del left[sid]
                    continue
                n = min(left[sid], len(chunk), c.conn.local_flow_control_window(sid))
                if n <= 0:
                    continue
                c.conn.send_data(sid, chunk[:n])
                left[sid] -= n
                sent += n
                progress = True
                if left[sid] == 0:
                    del left[sid]
                if crossed is None and sent > 16 << 20:
                    crossed = time.monotonic()
            c.flush()
            c.sock.settimeout(0.001 if progress else 0.05)
            try:
                data = c.sock.recv(1 << 20)
            except (TimeoutError, BlockingIOError):
                data = None
            c.sock.settimeout(10)
            if data == b"":
                raise AssertionError("the healthy-looking part of the attack was closed")
            for ev in c.conn.receive_data(data or b""):
                if isinstance(ev, h2.events.StreamReset):
                    resets[ev.stream_id] = ev.error_code
                    if first_reset is None:
                        first_reset = time.monotonic()
            c.flush()
            if progress:
                stalled_since = None
            elif stalled_since is None:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > 1.0:
                break  # every remaining stream waits for window: the server holds them
        assert crossed is not None, "only %d bytes sent" % sent
        took = cut_off(crossed, first_reset, "partial messages over 16 MiB")
        assert resets and set(resets.values()) == {ENHANCE_YOUR_CALM}, resets
        a.healthy_unary()  # during: the partial messages are still held
        growth = a.check_after()
        c.close()
    return "%.0f MB sent, %d streams reset %.2f s after 16 MiB, RSS +%.1f MiB" % (
        sent / 1e6, len(resets), took, growth / 2**20)


def main():
    args = parse_args()
    b = args.server
    t = Cases()
    t.case("stream_exhaustion_stream_101_refused", lambda: stream_exhaustion(b))
    t.case("message_8mib_resource_exhausted_before_buffering", lambda: large_message(b))
    t.case("partial_messages_connection_buffer_limit", lambda: partial_messages(b))
    return t.finish()


if __name__ == "__main__":
    run_main(main)
