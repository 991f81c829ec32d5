#!/usr/bin/python3
"""Clients speaking the wrong protocol are refused by their first bytes.

    test_first_bytes.py --server rpcplugin-interop-server

Plaintext listener (fresh Unix socket): an HTTP/1.1 request gets an HTTP/1.1 505 with a
text body; a TLS ClientHello gets the connection closed. TLS listener (free loopback
port, throwaway self-signed certificate for localhost): an HTTP/2 preface in plaintext
gets SETTINGS + GOAWAY(PROTOCOL_ERROR, "TLS required") then close; an HTTP/1.1 request in
plaintext gets a 400 text answer; a TLS client offering only ALPN http/1.1 fails the
handshake with a no_application_protocol alert. Bytes that are none of these (an invalid
connection preface), in plaintext or inside TLS, get the server's SETTINGS and
GOAWAY(PROTOCOL_ERROR) (RFC 9113 section 3.4) then close. After each case the server must be alive
and answer a UnaryCall on a new connection (over TLS with ALPN h2 for the TLS listener).
"""
import ssl
import tempfile

from hyperframe.frame import Frame, GoAwayFrame, SettingsFrame

from protolib import (Server, Suite, client_tls_context, make_cert, parse_args, recv_all,
                      run_main)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HTTP1 = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def http1_answer(srv, status):
    with srv.connect() as s:
        s.sendall(HTTP1)
        data, eof = recv_all(s)
    assert eof, "connection not closed after the answer: %r" % data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 %d " % status), "status line %r" % lines[0]
    fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    assert fields.get("content-type", "").startswith("text/plain"), fields
    assert body.strip() and int(fields.get("content-length", -1)) == len(body), (fields, body)


def tls_hello_on_plaintext(srv):
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
    assert hello[:1] == b"\x16", "not a TLS record: %r" % hello[:8]
    with srv.connect() as s:
        s.sendall(hello)
        data, eof = recv_all(s, timeout=3)
    assert eof and not data, "expected a plain close, got %r (eof=%s)" % (data[:64], eof)


INVALID_PREFACE = b"hello, this is not an HTTP/2 connection preface\r\n\r\n"


def parse_frames(data):
    frames = []
    while data:
        assert len(data) >= 9, "truncated frame header: %r" % data
        f, n = Frame.parse_frame_header(memoryview(data[:9]))
        f.parse_body(memoryview(data[9:9 + n]))
        frames.append(f)
        data = data[9 + n:]
    return frames


def invalid_preface(sock):
    """Sends bytes that are not the client preface: SETTINGS first, GOAWAY(PROTOCOL_ERROR)
    with last stream id 0 last, then the connection is closed."""
    sock.sendall(INVALID_PREFACE)
    data, eof = recv_all(sock)
    assert eof, "connection not closed: %r" % data
    frames = parse_frames(data)
    assert frames and isinstance(frames[0], SettingsFrame), frames
    g = frames[-1]
    assert isinstance(g, GoAwayFrame), frames
    assert g.error_code == 1 and g.last_stream_id == 0, \
        "GOAWAY(%d, last %d, %r)" % (g.error_code, g.last_stream_id, g.additional_data)
    assert sum(isinstance(f, GoAwayFrame) for f in frames) == 1, frames


def invalid_preface_plaintext(srv):
    with srv.connect() as s:
        invalid_preface(s)


def invalid_preface_in_tls(srv, cafile):
    ctx = client_tls_context(cafile)
    with srv.connect() as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            invalid_preface(s)


def preface_on_tls(srv):
    with srv.connect() as s:
        s.sendall(PREFACE)
        data, eof = recv_all(s)
    assert eof, "connection not closed: %r" % data
    frames = parse_frames(data)
    assert [type(f) for f in frames] == [SettingsFrame, GoAwayFrame], frames
    g = frames[1]
    assert g.error_code == 1 and g.additional_data == b"TLS required", \
        "GOAWAY(%d, %r)" % (g.error_code, g.additional_data)


def alpn_http11_only(srv, cafile):
    ctx = client_tls_context(cafile, alpn=("http/1.1",))
    with srv.connect() as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                raise AssertionError("handshake succeeded, ALPN %r" % s.selected_alpn_protocol())
        except ssl.SSLError as e:
            assert "no application protocol" in str(e).lower(), "handshake failed with %s" % e


def main():
    args = parse_args()
    t = Suite()
    with Server(args.server, "unix") as srv:
        t.server = srv
        t.case("plaintext_http1_request_505", lambda: http1_answer(srv, 505))
        t.case("plaintext_tls_client_hello_closed", lambda: tls_hello_on_plaintext(srv))
        t.case("plaintext_invalid_preface_goaway_protocol_error",
               lambda: invalid_preface_plaintext(srv))
        t.stop_server()

    with tempfile.TemporaryDirectory(prefix="rpcplugin-proto-") as d:
        cert, key = make_cert(d)
        with Server(args.server, "tcp", ["--tls", "--cert", cert, "--key", key]) as srv:
            t.server, t.tls_context = srv, client_tls_context(cert)
            t.case("tls_healthy_unary", lambda: None)
            t.case("tls_plaintext_h2_preface_goaway_tls_required", lambda: preface_on_tls(srv))
            t.case("tls_plaintext_http1_request_400", lambda: http1_answer(srv, 400))
            t.case("tls_alpn_http11_only_refused", lambda: alpn_http11_only(srv, cert))
            t.case("tls_invalid_preface_goaway_protocol_error",
                   lambda: invalid_preface_in_tls(srv, cert))
            return t.finish()


if __name__ == "__main__":
    run_main(main)
