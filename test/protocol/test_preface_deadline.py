#!/usr/bin/python3
"""Clients that never finish the HTTP/2 preface are disconnected at the deadline.

    test_preface_deadline.py --server rpcplugin-interop-server

The server's deadline covers the client preface and the first SETTINGS frame (README:
"a 20 s deadline for the preface and first SETTINGS"). If the server accepts
`--preface-timeout-ms` the test uses 1000 ms; otherwise it runs at the 20 s default.
Four slow clients connect at once to a fresh server on a Unix socket: one sends nothing,
one half the preface, one the whole preface but no SETTINGS, and one the preface only at
half the deadline. Each must be closed between 0.9 and 1 deadline (+1.5 s slack) after it
connected, and only the ones that sent the preface may get HTTP/2 frames. Meanwhile and
afterwards, a fresh connection gets a correct UnaryCall answer.
"""
import selectors
import time

from hyperframe.frame import Frame

from protolib import Server, Suite, parse_args, run_main, unary_call

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SHORT_MS = 1000
SLACK = 1.5


def start(binary):
    """(server, deadline in s): with --preface-timeout-ms if the server has it."""
    try:
        return Server(binary, "unix", ["--preface-timeout-ms", str(SHORT_MS)]), SHORT_MS / 1000
    except RuntimeError:
        return Server(binary, "unix"), 20.0


def frame_types(data):
    types = []
    while len(data) >= 9:
        f, n = Frame.parse_frame_header(memoryview(data[:9]))
        types.append(type(f).__name__)
        data = data[9 + n:]
    assert not data, "trailing partial frame"
    return types


CLIENTS = {"silent": None, "half_preface": PREFACE[:12], "preface_no_settings": PREFACE,
           "late_preface": None}  # late_preface sends PREFACE at half the deadline


def observe(srv, deadline):
    """Runs the four slow clients at once: ({name: (bytes, closed after s)}, unary error)."""
    t0 = time.monotonic()
    socks = {name: srv.connect() for name in CLIENTS}
    sel = selectors.DefaultSelector()
    for name, s in socks.items():
        s.setblocking(False)
        if CLIENTS[name]:
            s.sendall(CLIENTS[name])
        sel.register(s, selectors.EVENT_READ, name)
    got = {name: b"" for name in CLIENTS}
    closed = {}
    late_sent, unary_error = False, "not run"
    end = t0 + deadline + SLACK + 0.5
    try:
        while len(closed) < len(CLIENTS) and time.monotonic() < end:
            now = time.monotonic() - t0
            if not late_sent and now >= deadline / 2:
                socks["late_preface"].sendall(PREFACE)
                late_sent = True
            if unary_error == "not run" and now >= deadline / 4:
                try:
                    unary_call(srv)
                    unary_error = None
                except Exception as e:  # noqa: BLE001 - reported by its case
                    unary_error = repr(e)
            for key, _ in sel.select(0.05):
                try:
                    chunk = key.fileobj.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    got[key.data] += chunk
                else:
                    closed[key.data] = time.monotonic() - t0
                    sel.unregister(key.fileobj)
    finally:
        sel.close()
        for s in socks.values():
            s.close()
    return {name: (got[name], closed.get(name)) for name in CLIENTS}, unary_error


def check(result, deadline, sent_preface):
    data, at = result
    assert at is not None, "still open %.1f s after connecting (deadline %.1f s)" \
        % (deadline + SLACK + 0.5, deadline)
    assert 0.9 * deadline <= at <= deadline + SLACK, \
        "closed after %.2f s, deadline %.1f s" % (at, deadline)
    if sent_preface:
        types = frame_types(data)
        assert types and types[0] == "SettingsFrame", "expected the server's SETTINGS: %s" % types
    else:
        assert not data, "got bytes before sending the preface: %r" % data[:32]


def main():
    args = parse_args()
    srv, deadline = start(args.server)
    with srv:
        t = Suite(srv)
        if deadline != SHORT_MS / 1000:
            print("NOTE server lacks --preface-timeout-ms; using the %.0f s default" % deadline)
        results, unary_error = observe(srv, deadline)

        def unary_meanwhile():
            assert unary_error is None, unary_error

        t.case("unary_while_slow_clients_wait", unary_meanwhile, abusive=False)
        for name in CLIENTS:
            sent_preface = name in ("preface_no_settings", "late_preface")
            t.case(name + "_closed_at_deadline",
                   lambda r=results[name], p=sent_preface: check(r, deadline, p))
        return t.finish()


if __name__ == "__main__":
    run_main(main)
