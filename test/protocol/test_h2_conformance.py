#!/usr/bin/env python3
"""RFC 9113 conformance of rpcplugin-interop-server, over h2c and over TLS (suite 'protocol').

Each case opens a fresh connection, completes the preface and SETTINGS exchange, sends the
frames of one MUST-level rule of RFC 9113 (sections 3.4, 4, 5.1, 5.3, 5.4, 6.x and 8.1-8.2)
and checks the exact reaction: a connection error is a GOAWAY with the error code and then
the end of the connection; a stream error is a RST_STREAM on that stream with the code
(`either=True` where the RFC lets the endpoint choose a connection error instead); a frame
that must be ignored or accepted leaves the connection answering a PING. After each case the
server must still answer a fresh UnaryCall.

Frames are written byte by byte here (hyperframe parses what the server sends, hpack encodes
and decodes header blocks), so that invalid frames reach the server exactly as written.
Requests that are not gRPC (`plain`) are answered with 415 once they end; gRPC requests
start their handler on HEADERS: both keep their stream open until the client ends it.
"""
import socket
import ssl
import struct
import sys
import tempfile
import time

import hpack
from hyperframe.frame import Frame

import protolib

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM = ACK = 0x1
END_HEADERS, PADDED, PRIORITY_FLAG = 0x4, 0x8, 0x20

NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0, 1, 2, 3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL, COMPRESSION_ERROR = 5, 6, 7, 8, 9
CODE_NAMES = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
              4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR",
              7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR",
              11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}
TYPE_NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
              "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]

SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS = 1, 2, 3
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 4, 5
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
MAX_WINDOW = 2**31 - 1
# The server's advertised SETTINGS_MAX_CONCURRENT_STREAMS in this run (--max-concurrent-streams).
MAX_STREAMS = 8


def frame(ftype, flags, sid, payload=b""):
    """One frame exactly as given (length from the payload)."""
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


def settings(*pairs, ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HI", k, v)
                                                          for k, v in pairs))


def ping(data=b"confrmnc", ack=False, sid=0):
    return frame(PING, ACK if ack else 0, sid, data)


def window_update(sid, increment):
    return frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", increment))


def rst(sid, code=CANCEL):
    return frame(RST_STREAM, 0, sid, struct.pack(">I", code))


def priority(sid, depends_on, weight=15, exclusive=False):
    return frame(PRIORITY, 0, sid, struct.pack(">IB", depends_on | (exclusive << 31), weight))


def describe(f):
    t = TYPE_NAMES[f.type] if f.type < len(TYPE_NAMES) else "type %d" % f.type
    extra = ""
    if f.type in (RST_STREAM, GOAWAY):
        extra = " " + CODE_NAMES.get(f.error_code, str(f.error_code))
    return "%s(stream %d%s)" % (t, f.stream_id, extra)


class Conn:
    """A raw HTTP/2 client connection: frames out as bytes, frames in through hyperframe."""

    def __init__(self, server, tls_context, timeout=3.0):
        sock = server.connect(timeout)
        if tls_context is not None:
            sock = tls_context.wrap_socket(sock, server_hostname="localhost")
        self.sock, self.timeout, self.tls = sock, timeout, tls_context is not None
        self.enc, self.dec = hpack.Encoder(), hpack.Decoder()
        self.buf, self.eof, self.seen = b"", False, []
        self.server_settings = {}

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def handshake(self, *pairs):
        """The client preface and SETTINGS; returns once the server's SETTINGS arrived and
        ours was acknowledged."""
        self.send(PREFACE, settings(*pairs))
        got_settings = got_ack = False
        while not (got_settings and got_ack):
            f = self.next_frame("the server's SETTINGS and SETTINGS ACK")
            if f.type == SETTINGS and "ACK" in f.flags:
                got_ack = True
            elif f.type == SETTINGS:
                got_settings = True
                self.server_settings = dict(f.settings)
                self.send(settings(ack=True))
        return self

    def next_frame(self, what, timeout=None):
        """The next frame from the server; fails on timeout or the end of the connection."""
        f = self.read_frame(timeout)
        if f is None:
            raise AssertionError("connection closed while waiting for %s; saw %s"
                                 % (what, self.history()))
        if f is False:
            raise AssertionError("timed out waiting for %s; saw %s" % (what, self.history()))
        return f

    def read_frame(self, timeout=None):
        """A frame, None at the end of the connection, False on timeout."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            if len(self.buf) >= 9:
                f, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
                if len(self.buf) >= 9 + length:
                    f.parse_body(memoryview(self.buf[9:9 + length]))
                    self.buf = self.buf[9 + length:]
                    if f.type in (HEADERS, CONTINUATION):
                        f.decoded = self._decode(f)
                    self.seen.append(f)
                    return f
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionError, ssl.SSLError, OSError):
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk

    def _decode(self, f):
        try:
            return self.dec.decode(bytes(f.data))
        except Exception:  # noqa: BLE001 - a split block (CONTINUATION) is not decoded here
            return None

    def history(self):
        return ", ".join(describe(f) for f in self.seen[-8:]) or "nothing"

    # --- requests --------------------------------------------------------------------------

    def block(self, headers):
        return self.enc.encode(headers)

    def plain_headers(self, method="POST", path="/", extra=()):
        return [(":method", method), (":scheme", "https" if self.tls else "http"),
                (":path", path), (":authority", "localhost"), *extra]

    def grpc_headers(self, path=protolib.UNARY, extra=()):
        return [(":method", "POST"), (":scheme", "https" if self.tls else "http"),
                (":path", path), (":authority", "localhost"),
                ("content-type", "application/grpc"), ("te", "trailers"), *extra]

    def headers(self, sid, headers, end_stream=False, end_headers=True, flags=0):
        """A HEADERS frame carrying `headers` (a list) or a raw header block (bytes)."""
        blk = headers if isinstance(headers, bytes) else self.block(headers)
        fl = flags | (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
        return frame(HEADERS, fl, sid, blk)

    def open_plain(self, sid, extra=()):
        """A non-gRPC POST whose stream stays open (no END_STREAM)."""
        self.send(self.headers(sid, self.plain_headers(extra=extra)))

    # --- expectations ------------------------------------------------------------------------

    def expect_connection_error(self, code):
        """GOAWAY(code), then the end of the connection."""
        while True:
            f = self.next_frame("GOAWAY(%s)" % CODE_NAMES[code])
            if f.type == GOAWAY:
                assert f.error_code == code, "GOAWAY with %s, expected %s" % (
                    CODE_NAMES.get(f.error_code, f.error_code), CODE_NAMES[code])
                break
            if f.type == RST_STREAM:
                raise AssertionError("RST_STREAM(%s) on stream %d, expected GOAWAY(%s)" % (
                    CODE_NAMES.get(f.error_code), f.stream_id, CODE_NAMES[code]))
        while True:
            f = self.read_frame()
            if f is None:
                return
            if f is False:
                raise AssertionError("the connection stayed open after GOAWAY(%s)"
                                     % CODE_NAMES[code])

    def expect_stream_error(self, sid, code, either=False):
        """RST_STREAM(code) on `sid` (or GOAWAY(code) when `either`)."""
        while True:
            f = self.next_frame("RST_STREAM(%s) on stream %d" % (CODE_NAMES[code], sid))
            if f.type == RST_STREAM and f.stream_id == sid:
                assert f.error_code == code, "RST_STREAM with %s, expected %s" % (
                    CODE_NAMES.get(f.error_code, f.error_code), CODE_NAMES[code])
                return
            if f.type == GOAWAY:
                assert either and f.error_code == code, \
                    "GOAWAY(%s), expected RST_STREAM(%s) on stream %d" % (
                        CODE_NAMES.get(f.error_code, f.error_code), CODE_NAMES[code], sid)
                return

    def expect_alive(self, data=b"stillok!"):
        """A PING is answered, with no error on the way (what the case sent was accepted or
        ignored)."""
        self.send(ping(data))
        while True:
            f = self.next_frame("PING ACK")
            if f.type == PING and "ACK" in f.flags and f.opaque_data == data:
                return
            assert f.type != GOAWAY, "GOAWAY(%s) where the frame must be accepted" % (
                CODE_NAMES.get(f.error_code, f.error_code))
            assert f.type != RST_STREAM or f.error_code in (NO_ERROR, CANCEL), \
                "RST_STREAM(%s) on stream %d where the frame must be accepted" % (
                    CODE_NAMES.get(f.error_code, f.error_code), f.stream_id)

    def expect_response(self, sid, status=None):
        """Response HEADERS on `sid`; returns its header list."""
        while True:
            f = self.next_frame("response HEADERS on stream %d" % sid)
            if f.type == HEADERS and f.stream_id == sid:
                hdrs = dict(f.decoded or [])
                if status is not None:
                    assert hdrs.get(":status") == status, "status %r, expected %s" % (
                        hdrs.get(":status"), status)
                return hdrs
            assert f.type not in (GOAWAY, RST_STREAM) or (
                f.type == RST_STREAM and f.stream_id != sid), \
                "%s while waiting for the response on stream %d" % (describe(f), sid)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- the cases: name -> fn(conn); each returns after its expectation -------------------------

def case(registry, name):
    def deco(fn):
        registry.append((name, fn))
        return fn
    return deco


CASES = []
C = lambda name: case(CASES, name)  # noqa: E731


# 3.4 the connection preface
@C("3.4 a PING before the client's SETTINGS is a PROTOCOL_ERROR")
def _(c):
    c.send(PREFACE, ping())
    c.expect_connection_error(PROTOCOL_ERROR)


@C("3.4 an invalid connection preface gets GOAWAY(PROTOCOL_ERROR)")
def _(c):
    if not c.tls:
        # Plain text: bytes that are neither the preface, HTTP/1.x nor TLS.
        c.send(b"\x00\x01\x02 not a connection preface\r\n\r\n" + settings())
    else:
        c.send(b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n" + settings())
    c.expect_connection_error(PROTOCOL_ERROR)


@C("3.4 the server's preface is a SETTINGS frame, and ours is acknowledged")
def _(c):
    c.send(PREFACE, settings())
    f = c.next_frame("the server's SETTINGS")
    assert f.type == SETTINGS and "ACK" not in f.flags, "first frame was %s" % describe(f)
    c.send(settings(ack=True))
    while True:
        f = c.next_frame("SETTINGS ACK")
        if f.type == SETTINGS and "ACK" in f.flags:
            return


# 4.1 frame format
@C("4.1 a frame of an unknown type is ignored")
def _(c):
    c.handshake()
    c.send(frame(0x20, 0, 0, b"unknown"), frame(0xFE, 0xFF, 1, b"x" * 10))
    c.expect_alive()


@C("4.1 undefined flags of a PING are ignored")
def _(c):
    c.handshake()
    c.send(frame(PING, 0xFE, 0, b"flagsset"))
    while True:
        f = c.next_frame("PING ACK")
        if f.type == PING and "ACK" in f.flags:
            assert f.opaque_data == b"flagsset", "PING ACK payload %r" % f.opaque_data
            return


@C("4.1 the reserved bit of a stream id is ignored")
def _(c):
    c.handshake()
    c.send(frame(PING, 0, 0x80000000, b"reserved"))
    while True:
        f = c.next_frame("PING ACK")
        if f.type == PING and "ACK" in f.flags:
            return


@C("4.1 a request whose HEADERS has the reserved bit set is answered")
def _(c):
    c.handshake()
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 0x80000001, c.block(c.plain_headers("GET"))))
    c.expect_response(1, "415")


# 4.2 frame size
@C("4.2 a DATA frame above SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, 0, 1, b"x" * 16385))
    c.expect_stream_error(1, FRAME_SIZE_ERROR, either=True)


@C("4.2 a HEADERS frame above SETTINGS_MAX_FRAME_SIZE is a connection FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    # Without Huffman coding, so that the block really is larger than 16384 bytes.
    blk = c.enc.encode(c.plain_headers("GET", extra=[("x-big", "y" * 17000)]), huffman=False)
    c.send(c.headers(1, blk, end_stream=True))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("4.2 a frame within the advertised maximum is accepted (16384-byte DATA)")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, END_STREAM, 1, b"x" * 16384))
    c.expect_response(1, "415")


# 4.3 field section compression
@C("4.3 an undecodable header block is a COMPRESSION_ERROR")
def _(c):
    c.handshake()
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\x80"))  # indexed field 0
    c.expect_connection_error(COMPRESSION_ERROR)


@C("4.3 an index beyond the tables is a COMPRESSION_ERROR")
def _(c):
    c.handshake()
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, b"\xff\x7f"))  # index 254
    c.expect_connection_error(COMPRESSION_ERROR)


@C("4.3 a table size update above SETTINGS_HEADER_TABLE_SIZE is a COMPRESSION_ERROR")
def _(c):
    c.handshake()
    # Dynamic table size update to 8192 (5-bit prefix: 31 + 8161).
    blk = b"\x3f\xe2\x3f" + c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM | END_HEADERS, 1, blk))
    c.expect_connection_error(COMPRESSION_ERROR)


@C("4.3 a PRIORITY between HEADERS and CONTINUATION is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM, 1, blk[:3]), priority(3, 0),
           frame(CONTINUATION, END_HEADERS, 1, blk[3:]))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("4.3 HEADERS of another stream inside a header block is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM, 1, blk[:3]),
           frame(HEADERS, END_STREAM | END_HEADERS, 3, blk))
    c.expect_connection_error(PROTOCOL_ERROR)


# 5.1 stream states
@C("5.1 DATA on an idle stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(frame(DATA, END_STREAM, 1, b"idle"))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1 RST_STREAM on an idle stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(rst(1))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1 WINDOW_UPDATE on an idle stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(window_update(1, 100))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1 CONTINUATION on an idle stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(frame(CONTINUATION, END_HEADERS, 1, c.block(c.plain_headers("GET"))))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1 DATA on a half-closed (remote) stream is STREAM_CLOSED")
def _(c):
    c.handshake()
    # A server-streaming call answering after 1 s keeps the stream half-closed (remote).
    c.send(c.headers(1, c.grpc_headers(protolib.STREAMING_OUTPUT)),
           frame(DATA, END_STREAM, 1, protolib.grpc_frame(protolib.streaming_request(1, 1000000))))
    c.send(frame(DATA, 0, 1, protolib.grpc_frame(b"")))
    c.expect_stream_error(1, STREAM_CLOSED, either=True)


@C("5.1 HEADERS on a half-closed (remote) stream is STREAM_CLOSED")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.grpc_headers(protolib.STREAMING_OUTPUT)),
           frame(DATA, END_STREAM, 1, protolib.grpc_frame(protolib.streaming_request(1, 1000000))))
    c.send(c.headers(1, [("x-trailer", "late")], end_stream=True))
    c.expect_stream_error(1, STREAM_CLOSED, either=True)


@C("5.1 DATA after the client's RST_STREAM is STREAM_CLOSED")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(rst(1))
    c.send(frame(DATA, 0, 1, b"after reset"))
    c.expect_stream_error(1, STREAM_CLOSED, either=True)


@C("5.1 HEADERS after the client's RST_STREAM is STREAM_CLOSED")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(rst(1))
    c.send(c.headers(1, [("x-trailer", "late")], end_stream=True))
    c.expect_stream_error(1, STREAM_CLOSED, either=True)


@C("5.1 a PRIORITY on a closed stream is accepted")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(rst(1), priority(1, 0))
    c.expect_alive()


@C("5.1 WINDOW_UPDATE on a half-closed (remote) stream is accepted")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.grpc_headers(protolib.STREAMING_OUTPUT)),
           frame(DATA, END_STREAM, 1, protolib.grpc_frame(protolib.streaming_request(1, 500000))))
    c.send(window_update(1, 1000))
    c.expect_alive()


@C("5.1.1 an even stream id opened by the client is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(2, c.plain_headers("GET"), end_stream=True))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1.1 a stream id lower than one already used is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(5, c.plain_headers("GET"), end_stream=True))
    c.expect_response(5, "415")
    c.send(c.headers(3, c.plain_headers("GET"), end_stream=True))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1.1 skipping stream ids closes the skipped ones (HEADERS on one is a PROTOCOL_ERROR)")
def _(c):
    c.handshake()
    c.send(c.headers(7, c.plain_headers("GET"), end_stream=True))
    c.expect_response(7, "415")
    c.send(c.headers(1, c.plain_headers("GET"), end_stream=True))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("5.1.2 a stream above SETTINGS_MAX_CONCURRENT_STREAMS is refused")
def _(c):
    c.handshake()
    advertised = c.server_settings.get(SETTINGS_MAX_CONCURRENT_STREAMS)
    assert advertised == MAX_STREAMS, "advertised %r concurrent streams" % advertised
    for i in range(MAX_STREAMS + 1):
        c.open_plain(1 + 2 * i)
    # RFC 9113 asks for a stream error (PROTOCOL_ERROR or REFUSED_STREAM); nghttp2 makes a
    # stream above the acknowledged limit a connection error PROTOCOL_ERROR (as nghttpd
    # does), which is accepted here: what must not happen is a stream beyond the limit
    # being served.
    last = 1 + 2 * MAX_STREAMS
    while True:
        f = c.next_frame("RST_STREAM or GOAWAY for stream %d" % last)
        if f.type == RST_STREAM:
            assert f.stream_id == last, "stream %d reset (%s)" % (
                f.stream_id, CODE_NAMES.get(f.error_code))
            assert f.error_code in (REFUSED_STREAM, PROTOCOL_ERROR), \
                "RST_STREAM(%s)" % CODE_NAMES.get(f.error_code)
            c.expect_alive()
            return
        if f.type == GOAWAY:
            assert f.error_code == PROTOCOL_ERROR and f.last_stream_id < last, \
                "GOAWAY(%s, last stream %d)" % (CODE_NAMES.get(f.error_code), f.last_stream_id)
            return
        assert not (f.type == HEADERS and f.stream_id == last), "stream %d was served" % last


# 5.3 priority
@C("5.3.1 HEADERS depending on its own stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    prio = struct.pack(">IB", 1, 15)
    c.send(frame(HEADERS, END_STREAM | END_HEADERS | PRIORITY_FLAG, 1,
                 prio + c.block(c.plain_headers("GET"))))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("5.3.1 PRIORITY depending on its own stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(priority(1, 1))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


# 5.4 error handling
@C("5.4 RST_STREAM with an unknown error code is accepted")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(rst(1, 0xABCD))
    c.expect_alive()


@C("5.4 a GOAWAY from the client is accepted; streams it covers complete")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.plain_headers("GET"), end_stream=True),
           frame(GOAWAY, 0, 0, struct.pack(">II", 0, NO_ERROR)))
    c.expect_response(1, "415")


# 6.1 DATA
@C("6.1 DATA on stream 0 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(frame(DATA, 0, 0, b"zero"))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.1 DATA whose pad length is the whole payload is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, PADDED, 1, b"\x05abcd"))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.1 padded DATA is accepted and counted")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, PADDED | END_STREAM, 1, b"\x04body\0\0\0\0"))
    c.expect_response(1, "415")


@C("6.1 DATA after END_STREAM (trailers) is STREAM_CLOSED")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(c.headers(1, [("x-trailer", "1")], end_stream=True))
    c.send(frame(DATA, 0, 1, b"late"))
    c.expect_stream_error(1, STREAM_CLOSED, either=True)


# 6.2 HEADERS
@C("6.2 HEADERS on stream 0 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(0, c.plain_headers("GET"), end_stream=True))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.2 HEADERS whose pad length exceeds the payload is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM | END_HEADERS | PADDED, 1, bytes([len(blk) + 1]) + blk))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.2 padded HEADERS with priority are accepted")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM | END_HEADERS | PADDED | PRIORITY_FLAG, 1,
                 b"\x03" + struct.pack(">IB", 0, 200) + blk + b"\0\0\0"))
    c.expect_response(1, "415")


@C("6.2 DATA inside a header block is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers())
    c.send(frame(HEADERS, 0, 1, blk[:3]), frame(DATA, 0, 1, b"x"))
    c.expect_connection_error(PROTOCOL_ERROR)


# 6.3 PRIORITY
@C("6.3 PRIORITY on stream 0 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(priority(0, 1))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.3 PRIORITY of length 4 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(PRIORITY, 0, 1, struct.pack(">I", 0)))
    c.expect_stream_error(1, FRAME_SIZE_ERROR, either=True)


@C("6.3 PRIORITY on an idle stream is accepted")
def _(c):
    c.handshake()
    c.send(priority(9, 0))
    c.expect_alive()


# 6.4 RST_STREAM
@C("6.4 RST_STREAM on stream 0 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(rst(0))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.4 RST_STREAM of length 3 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(RST_STREAM, 0, 1, b"\0\0\x08"))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("6.4 RST_STREAM of an open stream ends it; the connection goes on")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(rst(1, CANCEL))
    c.send(c.headers(3, c.plain_headers("GET"), end_stream=True))
    c.expect_response(3, "415")


# 6.5 SETTINGS
@C("6.5 SETTINGS with ACK and a payload is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send(frame(SETTINGS, ACK, 0, struct.pack(">HI", SETTINGS_ENABLE_PUSH, 0)))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("6.5 SETTINGS on a stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(frame(SETTINGS, 0, 1, b""))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.5 SETTINGS whose length is not a multiple of 6 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send(frame(SETTINGS, 0, 0, b"\0\x03\0\0\0"))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("6.5.2 SETTINGS_ENABLE_PUSH other than 0 or 1 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(settings((SETTINGS_ENABLE_PUSH, 2)))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.5.2 SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1 is a FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.send(settings((SETTINGS_INITIAL_WINDOW_SIZE, 2**31)))
    c.expect_connection_error(FLOW_CONTROL_ERROR)


@C("6.5.2 SETTINGS_MAX_FRAME_SIZE below 16384 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(settings((SETTINGS_MAX_FRAME_SIZE, 16383)))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.5.2 SETTINGS_MAX_FRAME_SIZE above 2^24-1 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(settings((SETTINGS_MAX_FRAME_SIZE, 2**24)))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.5.2 an unknown setting is ignored, and SETTINGS is acknowledged")
def _(c):
    c.handshake()
    c.send(settings((0xFF, 1), (0x4242, 7)))
    while True:
        f = c.next_frame("SETTINGS ACK")
        if f.type == SETTINGS and "ACK" in f.flags:
            break
    c.expect_alive()


@C("6.5.3 several settings in one frame are applied in order (the last value wins)")
def _(c):
    c.handshake()
    # INITIAL_WINDOW_SIZE 1 then 65535: the response must not be held to one byte.
    c.send(settings((SETTINGS_INITIAL_WINDOW_SIZE, 1), (SETTINGS_INITIAL_WINDOW_SIZE, 65535)))
    c.send(c.headers(1, c.grpc_headers()),
           frame(DATA, END_STREAM, 1, protolib.grpc_frame(protolib.simple_request(100))))
    size = 0
    while size < 100:
        f = c.next_frame("the response DATA")
        if f.type == DATA and f.stream_id == 1:
            size += len(f.data)
            assert len(f.data) > 1, "DATA of %d byte(s): the first value was kept" % len(f.data)
        assert f.type not in (GOAWAY, RST_STREAM), describe(f)


# 6.7 PING
@C("6.7 a PING is answered with the same payload and ACK")
def _(c):
    c.handshake()
    c.send(ping(b"\x01\x02\x03\x04\x05\x06\x07\x08"))
    while True:
        f = c.next_frame("PING ACK")
        if f.type == PING:
            assert "ACK" in f.flags and f.opaque_data == b"\x01\x02\x03\x04\x05\x06\x07\x08", \
                "PING flags %s payload %r" % (f.flags, f.opaque_data)
            return


@C("6.7 a PING ACK is not answered")
def _(c):
    c.handshake()
    c.send(ping(b"unsolici", ack=True), ping(b"solicitd"))
    while True:
        f = c.next_frame("PING ACK")
        if f.type == PING:
            assert f.opaque_data == b"solicitd", "answered the ACK: %r" % f.opaque_data
            return


@C("6.7 PING on a stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(ping(sid=1))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.7 PING of length 7 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send(frame(PING, 0, 0, b"1234567"))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("6.7 PING of length 9 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send(frame(PING, 0, 0, b"123456789"))
    c.expect_connection_error(FRAME_SIZE_ERROR)


# 6.8 GOAWAY
@C("6.8 GOAWAY on a stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(frame(GOAWAY, 0, 1, struct.pack(">II", 0, NO_ERROR)))
    c.expect_connection_error(PROTOCOL_ERROR)


# 6.9 WINDOW_UPDATE
@C("6.9 WINDOW_UPDATE of 0 on the connection is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(window_update(0, 0))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.9 WINDOW_UPDATE of 0 on a stream is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(window_update(1, 0))
    # A stream error in RFC 9113; nghttp2 (and so nghttpd) makes it a connection error.
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("6.9 WINDOW_UPDATE of length 3 is a FRAME_SIZE_ERROR")
def _(c):
    c.handshake()
    c.send(frame(WINDOW_UPDATE, 0, 0, b"\0\0\x01"))
    c.expect_connection_error(FRAME_SIZE_ERROR)


@C("6.9.1 a connection window above 2^31-1 is a FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.send(window_update(0, MAX_WINDOW), window_update(0, MAX_WINDOW))
    c.expect_connection_error(FLOW_CONTROL_ERROR)


@C("6.9.1 a stream window above 2^31-1 is a stream FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(window_update(1, MAX_WINDOW), window_update(1, MAX_WINDOW))
    c.expect_stream_error(1, FLOW_CONTROL_ERROR)
    c.expect_alive()


@C("6.9.2 SETTINGS_INITIAL_WINDOW_SIZE raising a stream window above 2^31-1 is a "
   "FLOW_CONTROL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(window_update(1, MAX_WINDOW - 65535))
    c.expect_alive()
    c.send(settings((SETTINGS_INITIAL_WINDOW_SIZE, 65536)))
    # A connection error in RFC 9113; nghttp2 (and so nghttpd) resets each stream whose
    # window overflows with FLOW_CONTROL_ERROR instead, which is accepted here.
    c.expect_stream_error(1, FLOW_CONTROL_ERROR, either=True)


@C("6.9.2 the server respects a stream window of 1 byte until WINDOW_UPDATE")
def _(c):
    c.handshake((SETTINGS_INITIAL_WINDOW_SIZE, 1))
    c.send(c.headers(1, c.grpc_headers()),
           frame(DATA, END_STREAM, 1, protolib.grpc_frame(protolib.simple_request(50))))
    f = None
    while not (f is not None and f.type == DATA and f.stream_id == 1):
        f = c.next_frame("the first response DATA")
        assert f.type not in (GOAWAY, RST_STREAM), describe(f)
    assert len(f.data) == 1, "DATA of %d bytes in a window of 1" % len(f.data)
    late = c.read_frame(0.3)
    assert not (late and late.type == DATA and late.stream_id == 1), \
        "DATA sent beyond the stream window"
    c.send(window_update(1, 1000))
    while True:
        f = c.next_frame("the rest of the response")
        if f.type == HEADERS and f.stream_id == 1 and "END_STREAM" in f.flags:
            return


# 6.10 CONTINUATION
@C("6.10 CONTINUATION after a complete header block is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(CONTINUATION, END_HEADERS, 1, c.block([("x-more", "1")])))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.10 CONTINUATION on stream 0 is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET"))
    c.send(frame(HEADERS, END_STREAM, 1, blk[:3]), frame(CONTINUATION, END_HEADERS, 0, blk[3:]))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.10 CONTINUATION after DATA is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, 0, 1, b"x"), frame(CONTINUATION, END_HEADERS, 1, c.block([("a", "b")])))
    c.expect_connection_error(PROTOCOL_ERROR)


@C("6.10 a header block split over several CONTINUATION frames is accepted")
def _(c):
    c.handshake()
    blk = c.block(c.plain_headers("GET", extra=[("x-pad", "p" * 40)]))
    parts = [blk[i:i + 10] for i in range(0, len(blk), 10)]
    out = [frame(HEADERS, END_STREAM, 1, parts[0])]
    out += [frame(CONTINUATION, 0, 1, p) for p in parts[1:-1]]
    out.append(frame(CONTINUATION, END_HEADERS, 1, parts[-1]))
    c.send(*out)
    c.expect_response(1, "415")


# 8.1 HTTP message framing
@C("8.1 a second HEADERS without END_STREAM is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(c.headers(1, [("x-trailer", "1")]))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1 a pseudo-header in trailers is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(c.headers(1, [(":path", "/again")], end_stream=True))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1.1 content-length above the DATA received is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.plain_headers(extra=[("content-length", "10")])),
           frame(DATA, END_STREAM, 1, b"short"))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1.1 content-length below the DATA received is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.plain_headers(extra=[("content-length", "2")])),
           frame(DATA, 0, 1, b"longer"), frame(DATA, END_STREAM, 1, b"!"))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1.1 content-length with END_STREAM on HEADERS and no DATA is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.plain_headers(extra=[("content-length", "1")]), end_stream=True))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1.1 content-length matching the DATA is answered")
def _(c):
    c.handshake()
    c.send(c.headers(1, c.plain_headers(extra=[("content-length", "4")])),
           frame(DATA, END_STREAM, 1, b"four"))
    c.expect_response(1, "415")


# 8.2 / 8.3 fields
def malformed(name, headers_fn):
    @C("8.2 a malformed request (%s) is a PROTOCOL_ERROR" % name)
    def _(c):
        c.handshake()
        c.send(c.headers(1, headers_fn(c), end_stream=True))
        c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


malformed("an uppercase field name", lambda c: c.plain_headers("GET", extra=[("X-Upper", "1")]))
malformed("a field name with a space", lambda c: c.plain_headers("GET", extra=[("x y", "1")]))
malformed("a field value with a NUL", lambda c: c.plain_headers("GET", extra=[("x-nul", "a\0b")]))
malformed("a connection-specific field", lambda c: c.plain_headers(
    "GET", extra=[("connection", "keep-alive")]))
malformed("te other than trailers", lambda c: c.plain_headers("GET", extra=[("te", "gzip")]))
malformed("an unknown pseudo-header", lambda c: c.plain_headers(
    "GET", extra=[(":unknown", "x")]))
malformed("a response pseudo-header", lambda c: c.plain_headers("GET", extra=[(":status", "200")]))
malformed("a pseudo-header after a regular field", lambda c: [
    (":method", "GET"), (":scheme", "http"), ("x-regular", "1"), (":path", "/"),
    (":authority", "localhost")])
malformed("a duplicated :path", lambda c: c.plain_headers("GET") + [(":path", "/")])
malformed("a duplicated :method", lambda c: [(":method", "GET")] + c.plain_headers("GET"))
malformed("no :method", lambda c: [h for h in c.plain_headers("GET") if h[0] != ":method"])
malformed("no :scheme", lambda c: [h for h in c.plain_headers("GET") if h[0] != ":scheme"])
malformed("no :path", lambda c: [h for h in c.plain_headers("GET") if h[0] != ":path"])
malformed("an empty :path", lambda c: [(h[0], "" if h[0] == ":path" else h[1])
                                       for h in c.plain_headers("GET")])


@C("8.2 a malformed trailer (uppercase name) is a PROTOCOL_ERROR")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(c.headers(1, [("X-Trailer", "1")], end_stream=True))
    c.expect_stream_error(1, PROTOCOL_ERROR, either=True)


@C("8.1 a refused request that ends is answered (415) and the connection goes on")
def _(c):
    c.handshake()
    c.open_plain(1)
    c.send(frame(DATA, 0, 1, b"a" * 1000), frame(DATA, END_STREAM, 1, b"b"))
    c.expect_response(1, "415")
    c.send(c.headers(3, c.plain_headers("GET"), end_stream=True))
    c.expect_response(3, "415")


@C("8.1 a refused request with a large body is answered and reset without reading it all")
def _(c):
    c.handshake((SETTINGS_INITIAL_WINDOW_SIZE, 65535))
    c.open_plain(1)
    chunk = frame(DATA, 0, 1, b"z" * 16384)
    sent = 0
    got = None
    deadline = time.monotonic() + 5
    while got is None and time.monotonic() < deadline and sent < (1 << 20):
        try:
            c.send(chunk)
        except (ConnectionError, ssl.SSLError, OSError):
            break
        sent += 16384
        f = c.read_frame(0.001)
        while f:
            if f.type == HEADERS and f.stream_id == 1:
                got = f
                break
            f = c.read_frame(0.001)
    if got is None:
        c.expect_response(1, "415")
    else:
        assert dict(got.decoded or []).get(":status") == "415", "status %r" % got.decoded
    while True:
        f = c.next_frame("RST_STREAM on stream 1")
        if f.type == RST_STREAM and f.stream_id == 1:
            assert f.error_code in (NO_ERROR, CANCEL), "RST_STREAM(%s)" % CODE_NAMES.get(
                f.error_code)
            break
        assert f.type != GOAWAY, describe(f)
    assert sent <= 512 * 1024, "the server read %d bytes of a refused body" % sent


def run_mode(args, mode):
    """All cases against one server (h2c on a Unix socket, or TLS on TCP)."""
    extra = ["--max-concurrent-streams", str(MAX_STREAMS)]
    tls_context = None
    tmp = tempfile.mkdtemp(prefix="rpcplugin-conformance-")
    listen = "unix"
    if mode == "tls":
        cert, key = protolib.make_cert(tmp)
        extra += ["--tls", "--cert", cert, "--key", key]
        tls_context = protolib.client_tls_context(cert)
        listen = "tcp"
    server = protolib.Server(args.server, listen, extra)
    suite = protolib.Suite(server, tls_context=tls_context)
    for name, fn in CASES:
        def run(fn=fn):
            c = Conn(server, tls_context)
            try:
                fn(c)
            finally:
                c.close()
        suite.case("%s: %s" % (mode, name), run)
    suite.stop_server()
    return suite


def main():
    args = protolib.parse_args(("--mode", {"choices": ["h2c", "tls", "both"],
                                           "default": "both"}))
    modes = ["h2c", "tls"] if args.mode == "both" else [args.mode]
    passed = failed = 0
    for mode in modes:
        s = run_mode(args, mode)
        passed, failed = passed + s.passed, failed + s.failed
    print("%d cases per mode" % len(CASES))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    protolib.run_main(main)
