"""Helpers of the attack tests: a raw HTTP/2 attacker, the server's memory, the checks.

Every case starts its own rpcplugin-interop-server (fresh memory numbers, its own limits
from the command line), opens a healthy connection before the attack and checks after it
(the `Attack` context manager):

* the attacker is cut off (GOAWAY, RST_STREAM or close) within CUT_OFF seconds of
  crossing the limit, measured by the case;
* the server is alive, the healthy connection opened before the attack still answers a
  UnaryCall (during the attack too, where the case says so), and so does a new one;
* the server's peak RSS (VmHWM) grew by less than MAX_RSS_GROWTH over its RSS before the
  attack.

Everything is bounded: counts are fixed, every wait has a timeout, traffic stays on
loopback or Unix sockets.
"""
import errno
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protocol"))

from hyperframe.frame import Frame  # noqa: E402

import protolib  # noqa: E402,F401 - re-exported for the scripts
from protolib import (H2, Server, grpc_frame, grpc_headers, grpc_messages,  # noqa: E402,F401
                      parse_args, pb_fields, run_main, simple_request, unary_call)

CUT_OFF = 1.0                # s from crossing a limit to GOAWAY/RST/close
MAX_RSS_GROWTH = 32 << 20    # bytes

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, \
    CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM = \
    0, 1, 2, 7, 8, 11
RESOURCE_EXHAUSTED = 8  # gRPC status

# Short limits so that every case ends in about a second.
TEST_FLAGS = ["--preface-timeout-ms", "500", "--write-stall-timeout-ms", "500"]


# --- the server's memory -------------------------------------------------------------------

def proc_status(pid, field):
    """A kB field of /proc/PID/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no %s in /proc/%d/status" % (field, pid))


# --- raw frames ------------------------------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + sid.to_bytes(4, "big") + \
        payload


def hpack_int(value, prefix_bits, first=0):
    """HPACK integer with an N-bit prefix (RFC 7541 §5.1)."""
    top = (1 << prefix_bits) - 1
    if value < top:
        return bytes([first | value])
    out = bytearray([first | top])
    value -= top
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_str(s):
    b = s.encode() if isinstance(s, str) else s
    return hpack_int(len(b), 7) + b


def hpack_literal(name, value, indexed=False):
    """A literal field with a new name: without indexing (stateless) or added to the table."""
    return (b"\x40" if indexed else b"\x00") + hpack_str(name) + hpack_str(value)


def header_block(headers):
    return b"".join(hpack_literal(n, v) for n, v in headers)


def headers_frame(sid, headers=None, end_stream=False, end_headers=True, block=None):
    block = header_block(headers or grpc_headers()) if block is None else block
    flags = (END_STREAM if end_stream else 0) | (END_HEADERS if end_headers else 0)
    return frame(HEADERS, flags, sid, block)


def settings_frame(pairs=()):
    return frame(SETTINGS, 0, 0, b"".join(k.to_bytes(2, "big") + v.to_bytes(4, "big")
                                          for k, v in pairs))


def rst_frame(sid, code=CANCEL):
    return frame(RST_STREAM, 0, sid, code.to_bytes(4, "big"))


def ping_frame(opaque=b"attack!!"):
    return frame(PING, 0, 0, opaque)


def data_frame(sid, payload=b"", end_stream=False):
    return frame(DATA, END_STREAM if end_stream else 0, sid, payload)


def parse_frames(buf):
    """(frames, rest): hyperframe frames in `buf` and the incomplete tail."""
    frames, i = [], 0
    while len(buf) - i >= 9:
        f, n = Frame.parse_frame_header(memoryview(buf[i:i + 9]))
        if len(buf) - i - 9 < n:
            break
        f.parse_body(memoryview(buf[i + 9:i + 9 + n]))
        frames.append(f)
        i += 9 + n
    return frames, buf[i:]


def name(f):
    return type(f).__name__


class Raw:
    """An attacker's connection: raw bytes out, parsed frames in."""

    def __init__(self, server, settings=(), rcvbuf=None, preface=True, timeout=5.0):
        self.sock = socket.socket(server.family, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(server.address)
        self.frames, self.closed, self.closed_at = [], False, None
        self.broken_at = None  # when a send found the connection closed
        self._buf = b""
        if preface:
            self.send(PREFACE + settings_frame(settings))

    def send(self, data):
        """Sends all of `data`; a server that already closed (a limit crossed while we were
        still sending) sets `broken_at` instead of raising."""
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.broken_at = self.broken_at or time.monotonic()

    def send_nonblocking(self, data):
        """Sends what the socket takes now; returns the count, or None once it is broken."""
        timeout = self.sock.gettimeout()
        self.sock.settimeout(0.0)  # in timeout mode Python would wait for room
        try:
            return self.sock.send(data)
        except BlockingIOError:
            return 0
        except (BrokenPipeError, ConnectionResetError):
            return None
        finally:
            self.sock.settimeout(timeout)

    def flood(self, unit, limit_bytes, stall=0.2, deadline=10.0):
        """Sends `unit` over and over without reading until the server stops taking bytes
        (nothing accepted for `stall` s) or closes (`broken_at`), or `limit_bytes` went
        out. Returns (bytes sent, time the server stopped reading or None, closed)."""
        chunk = unit * max(1, 65536 // len(unit))
        sent, pending, idle_since = 0, b"", None
        end = time.monotonic() + deadline
        while sent < limit_bytes and time.monotonic() < end:
            if not pending:
                pending = chunk
            n = self.send_nonblocking(pending)
            if n is None:
                self.broken_at = time.monotonic()
                return sent, idle_since, True
            if n == 0:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= stall:
                    return sent, idle_since, False
                time.sleep(0.005)
                continue
            idle_since = None
            sent += n
            pending = pending[n:]
        return sent, None, False

    def wait_broken(self, timeout):
        """Without reading: waits until the server closed the connection (a send fails or
        the socket reports a hang-up). Returns the time it was seen, or None."""
        end = time.monotonic() + timeout
        poller = select.poll()
        poller.register(self.sock, select.POLLHUP | select.POLLERR)
        while time.monotonic() < end:
            if poller.poll(10):
                return time.monotonic()
            if self.send_nonblocking(ping_frame()) is None:
                return time.monotonic()
        return None

    def read_until(self, pred, timeout=3.0):
        """Reads frames until pred(frame) is true for one of them or the connection closes.
        Returns the time that happened (None on timeout)."""
        end = time.monotonic() + timeout
        while True:
            for f in self.frames:
                if pred(f):
                    return time.monotonic()
            if self.closed:
                return self.closed_at
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError as e:
                if e.errno not in (errno.ECONNRESET, errno.EPIPE):
                    raise
                chunk = b""
            if not chunk:
                self.closed, self.closed_at = True, time.monotonic()
                continue
            frames, self._buf = parse_frames(self._buf + chunk)
            self.frames.extend(frames)

    def read_to_close(self, timeout=3.0):
        return self.read_until(lambda f: False, timeout)

    def goaway(self):
        g = [f for f in self.frames if name(f) == "GoAwayFrame"]
        return g[-1] if g else None

    def resets(self):
        return {f.stream_id: f.error_code for f in self.frames if name(f) == "RstStreamFrame"}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def cut_off(crossed, seen, what):
    assert seen is not None, "%s: the attacker was not cut off" % what
    took = seen - crossed
    assert took <= CUT_OFF, "%s: cut off %.2f s after crossing the limit (> %.1f s)" \
        % (what, took, CUT_OFF)
    return took


# --- one case ----------------------------------------------------------------------------------

class Attack:
    """A fresh server with `flags`, a healthy connection opened before the attack, and the
    checks after it (see the module doc)."""

    def __init__(self, binary, flags=(), listen="unix", tls_context=None, healthy=True):
        self.server = Server(binary, listen, list(TEST_FLAGS) + list(flags))
        self.tls_context = tls_context
        self.healthy = None
        try:
            if healthy:
                self.healthy = H2(self.server, tls_context=tls_context)
                self.healthy_unary()
            self.rss_before = proc_status(self.server.proc.pid, "VmRSS")
        except Exception:
            self.server.stop()
            raise

    def healthy_unary(self, response_size=16):
        """A UnaryCall on the connection opened before the attack."""
        c = self.healthy
        sid = c.request(grpc_headers(), grpc_frame(simple_request(response_size)))
        r = c.wait(sid, timeout=5)
        assert r.status == 0 and not r.goaway and not r.closed, \
            "healthy connection failed: %r" % r
        msgs = grpc_messages(r.data)
        assert len(msgs) == 1, "healthy connection: %d messages" % len(msgs)
        return r

    def check_after(self):
        assert self.server.alive(), "server died (exit %s): %s" % (
            self.server.proc.returncode, self.server.stderr()[-1000:])
        if self.healthy is not None:
            self.healthy_unary()
        unary_call(self.server, tls_context=self.tls_context)
        hwm = proc_status(self.server.proc.pid, "VmHWM")
        growth = hwm - self.rss_before
        assert growth < MAX_RSS_GROWTH, "peak RSS grew by %.1f MiB (limit %d MiB)" % (
            growth / 2**20, MAX_RSS_GROWTH >> 20)
        return growth

    def close(self):
        if self.healthy is not None:
            self.healthy.close()
        code = self.server.stop()
        assert code == 0, "server exit status %s: %s" % (code, self.server.stderr()[-2000:])

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *rest):
        if exc_type is None:
            self.close()
        else:
            if self.healthy is not None:
                self.healthy.close()
            self.server.stop()


class Cases:
    """Runs named cases; prints PASS/FAIL lines and the summary, like protolib.Suite."""

    def __init__(self):
        self.passed = self.failed = 0

    def case(self, title, fn):
        t0 = time.monotonic()
        try:
            note = fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            import traceback
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc(limit=4)
            print("FAIL %s: %s" % (title, detail.strip().replace("\n", "\n    ")), flush=True)
            return
        self.passed += 1
        print("PASS %s (%.2f s)%s" % (title, time.monotonic() - t0,
                                      " " + note if note else ""), flush=True)

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0
