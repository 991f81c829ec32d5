#!/usr/bin/python3
"""The graceful drain of a plugin::server, seen by one real client, for one trigger.

    drain_check.py --server BIN --client python|go|h2 --trigger sigterm|controller|file|stop
                   [--go-client BIN]

Starts rpcplugin-drain-server as a go-plugin host would (cookie, socket dir, grace period,
shutdown file), puts calls in flight from one client, starts the drain with the trigger
(SIGTERM; plugin.GRPCController/Shutdown; the PLUGIN_SHUTDOWN_FILE_PATH file; SIGUSR1,
on which the program calls plugin::server::stop() from another thread), and checks:

  (a) calls in flight when the drain starts (Sleep, a slow server stream) finish OK;
  (b) a new call on the connection that saw the GOAWAY fails with UNAVAILABLE, and so does
      one on a fresh connection (the listener is closed, its socket file gone);
  (c) a call whose handler never finishes (Hang) is cancelled at the end of the grace
      period: the handler observes the cancellation, and the client gets its status
      within 100 ms of it, no later than grace + 100 ms + slack after the drain started;
  (d) the process exits 0;  (e) the socket file is removed;
  and per client:
  python  grpcio 1.51: health Watch on "" and "plugin" sees SERVING, then NOT_SERVING
          once the drain starts, before its stream ends; the exact status codes;
  go      grpc-go 1.33 (test/drain/go/client): the same calls, status codes and timing;
  h2      a raw HTTP/2 client that reads every frame: GOAWAY(2^31-1, NO_ERROR), PING,
          then GOAWAY(last stream id, NO_ERROR), in this order; a stream opened after
          the notice but before the PING's ACK is within the final GOAWAY and served;
          NOT_SERVING on both Watch streams before the final GOAWAY; a stream opened after
          the final GOAWAY is ignored (no handler, no frame); the connection is closed at
          the end of the grace.

T, the start of the drain, is when the server's "draining" log line arrives. Times come
from CLOCK_MONOTONIC on both sides (the server's marker file, Python's time.monotonic).
Prints PASS/FAIL lines and "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_PROTO = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))

# PLUGIN_GRPC_GRACE_PERIOD, and the in-flight calls: started before T, still running at T,
# done before T + GRACE. The shutdown file is polled once a second, so the drain starts up
# to 1 s after the file appears: longer calls and a longer grace for that trigger.
GRACE = 1.0
SLEEP_MS = 600
STREAM_COUNT, STREAM_INTERVAL_MS = 8, 75


def use_file_trigger_timing():
    global GRACE, SLEEP_MS, STREAM_COUNT, STREAM_INTERVAL_MS
    GRACE, SLEEP_MS = 2.0, 1400
    STREAM_COUNT, STREAM_INTERVAL_MS = 14, 100

STATUS_WITHIN = 0.100  # the spec: a cancelled call's client has its status within 100 ms
MEASURE = 0.050        # our measuring of it: client threads, the DRAIN line to grpc-go
SLACK = 0.150          # scheduling of three processes on a loaded two-core machine
PHASE1 = 0.100         # the server's round-trip allowance between the two GOAWAYs

NOTICE_LAST_ID = (1 << 31) - 1
UNAVAILABLE = "UNAVAILABLE"

results = []


def check(name, cond, why=""):
    results.append(bool(cond))
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + str(why)), flush=True)
    return cond


# --- stubs -------------------------------------------------------------------------------

def load_stubs(d):
    """drainsvc_pb2(_grpc) and grpc.health.v1 health_pb2(_grpc), generated into d."""
    import grpc
    os.makedirs(d, exist_ok=True)
    subprocess.run(["protoc", "-I" + HERE, "-I" + REPO_PROTO, "--python_out=" + d,
                    "--grpc_python_out=" + d,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    "drainsvc.proto", "grpc/health/v1/health.proto"], check=True)
    sys.path.insert(0, d)
    # grpc/health/v1/*.py clashes with the installed grpc package: extend its path (as
    # test/interop/python/interop_stubs.py does for grpc.testing).
    grpc.__path__.append(os.path.join(d, "grpc"))
    import drainsvc_pb2
    import drainsvc_pb2_grpc
    from grpc.health.v1 import health_pb2, health_pb2_grpc
    return drainsvc_pb2, drainsvc_pb2_grpc, health_pb2, health_pb2_grpc


# --- the plugin process ----------------------------------------------------------------

class Plugin:
    def __init__(self, binary, trigger, d):
        self.dir = d
        self.markers_path = os.path.join(d, "markers")
        self.shutdown_path = os.path.join(d, "shutdown-now")
        sock_dir = os.path.join(d, "sock")
        os.mkdir(sock_dir)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "RPCPLUGIN_DRAIN_TEST": "drain",
               "PLUGIN_PROTOCOL_VERSIONS": "1",
               "PLUGIN_UNIX_SOCKET_DIR": sock_dir,
               "PLUGIN_GRPC_GRACE_PERIOD": str(GRACE),
               "PLUGIN_SHUTDOWN_FILE_PATH": self.shutdown_path}
        args = [binary, "--markers", self.markers_path]
        if trigger == "stop":
            args.append("--stop-on-sigusr1")
        self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = []  # (monotonic time of arrival, line)
        self.cv = threading.Condition()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(10)
        sel.close()
        line = self.proc.stdout.readline().decode() if ready else ""
        parts = line.strip().split("|")
        if len(parts) < 5 or parts[2] != "unix":
            self.kill()
            raise RuntimeError("no handshake line: %r; stderr: %s" % (line, self.stderr()[-800:]))
        self.handshake = line
        self.socket_path = parts[3]
        self.exit_code = None
        self.exit_time = None

    def _read_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            with self.cv:
                self.log.append((time.monotonic(), raw.decode(errors="replace").rstrip("\n")))
                self.cv.notify_all()

    def stderr(self):
        with self.cv:
            return "\n".join(line for _, line in self.log)

    def wait_log(self, message, timeout):
        """Arrival time of the first hclog line whose @message is `message`."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for t, line in self.log:
                    try:
                        if json.loads(line).get("@message") == message:
                            return t
                    except ValueError:
                        pass
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no %r log line within %.1f s; stderr:\n%s"
                                         % (message, timeout, self.stderr()[-1500:]))
                self.cv.wait(left)

    def markers(self):
        out = []
        try:
            with open(self.markers_path) as f:
                text = f.read()
        except FileNotFoundError:
            return out
        for line in text.splitlines():
            ns, event, tag = line.split(" ", 2)
            out.append((int(ns) / 1e9, event, tag))
        return out

    def marker(self, event, tag):
        for t, e, g in self.markers():
            if e == event and g == tag:
                return t
        return None

    def wait_markers(self, wanted, timeout=10.0, pump=None):
        deadline = time.monotonic() + timeout
        while True:
            have = {(e, g) for _, e, g in self.markers()}
            missing = [w for w in wanted if w not in have]
            if not missing:
                return
            if time.monotonic() > deadline:
                raise AssertionError("handlers did not start: %r missing; markers %r"
                                     % (missing, self.markers()))
            if pump:
                pump(0.005)
            else:
                time.sleep(0.005)

    def trigger(self, kind):
        if kind == "sigterm":
            self.proc.send_signal(signal.SIGTERM)
        elif kind == "stop":
            self.proc.send_signal(signal.SIGUSR1)
        elif kind == "file":
            open(self.shutdown_path, "w").close()
        elif kind == "controller":
            threading.Thread(target=self._controller_shutdown, daemon=True).start()
        else:
            raise ValueError(kind)

    def _controller_shutdown(self):
        import grpc
        with grpc.insecure_channel("unix:" + self.socket_path,
                                   options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
            call = ch.unary_unary("/plugin.GRPCController/Shutdown",
                                  request_serializer=lambda m: m,
                                  response_deserializer=lambda b: b)
            try:
                call(b"", timeout=5)
                self.controller_result = "OK"
            except grpc.RpcError as e:
                self.controller_result = e.code().name

    def drain_started(self, timeout=5.0):
        return self.wait_log("draining", timeout)

    def wait_exit(self, timeout):
        try:
            self.exit_code = self.proc.wait(timeout)
            self.exit_time = time.monotonic()
        except subprocess.TimeoutExpired:
            self.kill()
            self.exit_code = None
        rest = self.proc.stdout.read().decode(errors="replace")
        return rest

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def common_checks(p, trigger, T, t0, tag, rest_stdout):
    """(c) the handler side, (d), (e), and trigger-specific bits."""
    # The shutdown file is polled once a second.
    limit = 1.5 if trigger == "file" else 0.5
    check("drain started within %.1f s of the trigger" % limit, T - t0 < limit,
          "%.3f s" % (T - t0))
    t_cancel = p.marker("hang-cancelled", tag)
    check("(c) Hang handler observed cancellation", t_cancel is not None,
          "markers %r" % p.markers())
    if t_cancel is not None:
        print("     Hang handler cancelled at T + %.3f s (grace %.1f s)" % (t_cancel - T, GRACE))
        check("(c) Hang cancelled at the end of the grace (T + %.1f s)" % GRACE,
              GRACE - 0.05 <= t_cancel - T <= GRACE + PHASE1 + SLACK,
              "cancelled at T + %.3f s" % (t_cancel - T))
    for ev in ("sleep-done", "stream-done"):
        t = p.marker(ev, tag)
        check("(a) %s after the drain started, before the grace ended" % ev,
              t is not None and T < t < T + GRACE, "at %r (T + %s)"
              % (t, None if t is None else "%.3f" % (t - T)))
    for late in (tag + "-late", tag + "-fresh"):
        started = [m for m in p.markers() if m[2] == late]
        check("(b) no handler ran for %s" % late, not started, "%r" % started)
    check("(d) process exited 0", p.exit_code == 0, "exit %r; stderr %s"
          % (p.exit_code, p.stderr()[-800:]))
    if p.exit_time is not None:
        print("     process exited at T + %.3f s" % (p.exit_time - T))
        check("(d) process exited by T + grace + 0.6 s", p.exit_time - T <= GRACE + 0.6,
              "T + %.3f s" % (p.exit_time - T))
    check("(e) socket file removed", not os.path.exists(p.socket_path), p.socket_path)
    check("nothing on stdout but the handshake line", rest_stdout == "", repr(rest_stdout))
    if trigger == "file":
        check("shutdown file removed by the plugin", not os.path.exists(p.shutdown_path))
    if trigger == "stop":
        check("stop() was called", p.marker("stop-called", "-") is not None)
    if trigger == "controller":
        check("Controller.Shutdown answered OK", getattr(p, "controller_result", None) == "OK",
              getattr(p, "controller_result", None))
    return t_cancel


# --- python3-grpcio ----------------------------------------------------------------------

def run_python(p, trigger, stubs):
    import grpc
    pb, pb_grpc, hpb, hpb_grpc = stubs
    opts = [("grpc.use_local_subchannel_pool", 1)]
    target = "unix:" + p.socket_path
    ch = grpc.insecure_channel(target, options=opts)
    grpc.channel_ready_future(ch).result(timeout=5)
    states = []
    ch.subscribe(lambda s: states.append((time.monotonic(), s)), try_to_connect=False)
    stub = pb_grpc.DrainTestStub(ch)
    health = hpb_grpc.HealthStub(ch)
    SERVING = hpb.HealthCheckResponse.SERVING
    NOT_SERVING = hpb.HealthCheckResponse.NOT_SERVING

    watches = {}

    def watch(name):
        w = watches[name]
        try:
            for resp in health.Watch(hpb.HealthCheckRequest(service=name), timeout=20):
                w["seen"].append((time.monotonic(), resp.status))
            w["end"] = (time.monotonic(), "OK", "")
        except grpc.RpcError as e:
            w["end"] = (time.monotonic(), e.code().name, e.details())

    threads = []
    for name in ("", "plugin"):
        watches[name] = {"seen": [], "end": None}
        threads.append(threading.Thread(target=watch, args=(name,), daemon=True))
    ends = {}

    def stream_call():
        got = []
        try:
            for r in stub.Stream(pb.StreamRequest(tag="py", count=STREAM_COUNT,
                                                  interval_ms=STREAM_INTERVAL_MS), timeout=20):
                got.append(r.index)
            ends["stream"] = (time.monotonic(), "OK", "", got)
        except grpc.RpcError as e:
            ends["stream"] = (time.monotonic(), e.code().name, e.details(), got)

    threads.append(threading.Thread(target=stream_call, daemon=True))
    for t in threads:
        t.start()

    def on_done(name):
        def cb(f):
            e = f.exception()
            ends[name] = (time.monotonic(), "OK" if e is None else e.code().name,
                          "" if e is None else e.details())
        return cb

    hang = stub.Hang.future(pb.HangRequest(tag="py"), timeout=20)
    hang.add_done_callback(on_done("hang"))
    sleep = stub.Sleep.future(pb.SleepRequest(tag="py", ms=SLEEP_MS), timeout=20)
    sleep.add_done_callback(on_done("sleep"))
    p.wait_markers([("hang-start", "py"), ("stream-start", "py"), ("sleep-start", "py")])
    deadline = time.monotonic() + 5
    while not all(w["seen"] for w in watches.values()) and time.monotonic() < deadline:
        time.sleep(0.005)

    t0 = time.monotonic()
    p.trigger(trigger)
    T = p.drain_started()

    # (b) the connection that saw the GOAWAY: grpcio leaves READY on it.
    deadline = time.monotonic() + 5
    left = None
    while left is None and time.monotonic() < deadline:
        left = next((t for t, s in list(states)
                     if t >= t0 and s != grpc.ChannelConnectivity.READY), None)
        time.sleep(0.005)
    check("(b) channel left READY after the GOAWAY", left is not None and left - T < 1.0,
          "states %r" % [(round(t - T, 3), s) for t, s in states])
    pause = T + 0.2 - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    t_late = time.monotonic()
    late_code = "OK"
    try:
        stub.Sleep(pb.SleepRequest(tag="py-late", ms=10), timeout=5)
    except grpc.RpcError as e:
        late_code = e.code().name
        print("     new call after the GOAWAY: %s %r" % (late_code, e.details()))
    check("(b) new call on the channel that saw the GOAWAY: UNAVAILABLE within 1 s",
          late_code == UNAVAILABLE and time.monotonic() - t_late < 1.0,
          "%s after %.3f s" % (late_code, time.monotonic() - t_late))
    check("(b) socket file gone during the drain", not os.path.exists(p.socket_path))
    fresh_code = "OK"
    t_fresh = time.monotonic()
    with grpc.insecure_channel(target, options=opts) as ch2:
        try:
            pb_grpc.DrainTestStub(ch2).Sleep(pb.SleepRequest(tag="py-fresh", ms=10), timeout=5)
        except grpc.RpcError as e:
            fresh_code = e.code().name
            print("     fresh channel: %s %r" % (fresh_code, e.details()))
    check("(b) fresh channel: UNAVAILABLE within 1 s",
          fresh_code == UNAVAILABLE and time.monotonic() - t_fresh < 1.0,
          "%s after %.3f s" % (fresh_code, time.monotonic() - t_fresh))

    for f in (sleep, hang):
        try:
            f.result(timeout=GRACE + 5)
        except Exception:
            pass
    for t in threads:
        t.join(GRACE + 5)
    deadline = time.monotonic() + 2
    while len(ends) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    rest = p.wait_exit(GRACE + 5)
    ch.close()

    t_cancel = common_checks(p, trigger, T, t0, "py", rest)
    s = ends.get("sleep")
    check("(a) Sleep in flight: OK", s and s[1] == "OK" and sleep.result().tag == "py", s)
    st = ends.get("stream")
    check("(a) Stream in flight: OK with all %d messages" % STREAM_COUNT,
          st and st[1] == "OK" and st[3] == list(range(STREAM_COUNT)), st)
    h = ends.get("hang")
    check("(c) Hang: the client gets %s" % UNAVAILABLE, h and h[1] == UNAVAILABLE, h)
    if h:
        print("     Hang status seen by grpcio: %s %r" % (h[1], h[2]))
        check("(c) Hang status no later than T + grace + 100 ms + slack",
              h[0] - T <= GRACE + STATUS_WITHIN + SLACK, "T + %.3f s" % (h[0] - T))
        if t_cancel is not None:
            check("(c) Hang status within 100 ms of the cancellation",
                  h[0] - t_cancel <= STATUS_WITHIN + MEASURE, "%.3f s" % (h[0] - t_cancel))

    # Health Watch: SERVING, then NOT_SERVING as the drain starts, before the stream ends.
    for name, w in watches.items():
        seen = [s for _, s in w["seen"]]
        label = 'health Watch("%s")' % name
        check(label + ": SERVING then NOT_SERVING", seen == [SERVING, NOT_SERVING], seen)
        if seen == [SERVING, NOT_SERVING]:
            t_ns = w["seen"][1][0]
            check(label + ": NOT_SERVING once the drain started (before T + %.0f ms)"
                  % ((PHASE1 + SLACK) * 1000),
                  t0 <= t_ns and t_ns - T <= PHASE1 + SLACK, "T + %.3f s" % (t_ns - T))
            check(label + ": NOT_SERVING before the stream ended",
                  w["end"] is not None and t_ns < w["end"][0], w["end"])
        if w["end"]:
            print("     %s ended with %s %r at T + %.3f s"
                  % (label, w["end"][1], w["end"][2], w["end"][0] - T))
        check(label + ": stream ended with %s at the end of the grace" % UNAVAILABLE,
              w["end"] is not None and w["end"][1] == UNAVAILABLE
              and w["end"][0] - T <= GRACE + STATUS_WITHIN + SLACK, w["end"])


# --- grpc-go -----------------------------------------------------------------------------

def run_go(p, trigger, go_bin):
    go = subprocess.Popen([go_bin, "-target", "unix:" + p.socket_path, "-tag", "go",
                           "-sleep-ms", str(SLEEP_MS), "-stream-count", str(STREAM_COUNT),
                           "-stream-interval-ms", str(STREAM_INTERVAL_MS)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    try:
        line = go.stdout.readline().strip()
        if line != "STARTED":
            raise AssertionError("go client did not start: %r %s" % (line, go.stderr.read()))
        p.wait_markers([("hang-start", "go"), ("stream-start", "go"), ("sleep-start", "go")])
        t0 = time.monotonic()
        p.trigger(trigger)
        T = p.drain_started()
        go.stdin.write("DRAIN\n")
        go.stdin.flush()
        out, err = go.communicate(timeout=GRACE + 15)
    finally:
        if go.poll() is None:
            go.kill()
            go.wait()
    rest = p.wait_exit(GRACE + 5)
    t_cancel = common_checks(p, trigger, T, t0, "go", rest)
    check("go client exited 0", go.returncode == 0, "exit %r: %s" % (go.returncode, err[-500:]))
    rep = json.loads(out.strip().splitlines()[-1])
    print("     grpc-go report: " + json.dumps(rep))
    check("(a) Sleep in flight: OK", rep["sleep"]["code"] == "OK", rep["sleep"])
    check("(a) Stream in flight: OK with all %d messages" % STREAM_COUNT,
          rep["stream"]["code"] == "OK" and rep["stream"]["indexes"] == list(range(STREAM_COUNT)),
          rep["stream"])
    check("(b) ClientConn left READY after the GOAWAY", 0 <= rep["left_ready_ms"] < 1000,
          rep["left_ready_ms"])
    check("(b) new call on the ClientConn that saw the GOAWAY: UNAVAILABLE",
          rep["late"]["code"] == "Unavailable", rep["late"])
    check("(b) fresh ClientConn: UNAVAILABLE", rep["fresh"]["code"] == "Unavailable",
          rep["fresh"])
    h = rep["hang"]
    print("     Hang status seen by grpc-go: %s %r" % (h["code"], h["message"]))
    check("(c) Hang: the client gets %s" % UNAVAILABLE, h["code"] == "Unavailable", h)
    # The client's T is when it read DRAIN, a little after ours: its times are late, never early.
    check("(c) Hang status no later than T + grace + 100 ms + slack",
          h["end_ms"] / 1000 <= GRACE + STATUS_WITHIN + SLACK, h["end_ms"])
    if t_cancel is not None:
        check("(c) Hang status within 100 ms of the cancellation",
              h["end_ms"] / 1000 - (t_cancel - T) <= STATUS_WITHIN + MEASURE,
              "%.3f s" % (h["end_ms"] / 1000 - (t_cancel - T)))


# --- raw HTTP/2 ---------------------------------------------------------------------------

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY = 0, 1, 3, 4, 6, 7
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
FRAME_NAMES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS",
               5: "PUSH_PROMISE", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE", 9: "CONTINUATION"}


class RawH2:
    """An HTTP/2 client at frame level: python3-h2 treats any GOAWAY as the end of the
    connection, so frames are read here directly (HPACK through python3-hpack)."""

    def __init__(self, path):
        import hpack
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.enc, self.dec = hpack.Encoder(), hpack.Decoder()
        self.buf = b""
        self.frames = []   # (t, type, flags, stream id, payload; HEADERS decoded)
        self.eof = None
        self.before_ping_ack = None  # called before the first PING is answered
        self.sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + self.frame(SETTINGS, 0, 0, b""))

    @staticmethod
    def frame(ftype, flags, sid, payload):
        return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + sid.to_bytes(4, "big") \
            + payload

    def request(self, sid, path, message):
        headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
                   (":authority", "localhost"), ("content-type", "application/grpc"),
                   ("te", "trailers")]
        body = b"\0" + len(message).to_bytes(4, "big") + message
        self.sock.sendall(self.frame(HEADERS, END_HEADERS, sid, self.enc.encode(headers)) +
                          self.frame(DATA, END_STREAM, sid, body))

    def pump(self, timeout):
        """Reads what arrives within `timeout`; answers SETTINGS and PING. False at EOF."""
        if self.eof is not None:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        except ConnectionError:
            data = b""
        now = time.monotonic()
        if not data:
            self.eof = now
            return False
        self.buf += data
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            ftype, flags = self.buf[3], self.buf[4]
            sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            payload = self.buf[9:9 + n]
            self.buf = self.buf[9 + n:]
            if ftype == HEADERS:
                assert flags & END_HEADERS, "CONTINUATION not expected here"
                payload = self.dec.decode(payload)
            elif ftype == SETTINGS and not flags & ACK:
                self.sock.sendall(self.frame(SETTINGS, ACK, 0, b""))
            elif ftype == PING and not flags & ACK:
                if self.before_ping_ack:
                    hook, self.before_ping_ack = self.before_ping_ack, None
                    hook()
                self.sock.sendall(self.frame(PING, ACK, 0, payload))
            self.frames.append((now, ftype, flags, sid, payload))
        return True

    def pump_until(self, cond, timeout):
        deadline = time.monotonic() + timeout
        while not cond():
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.05)):
                return cond()
        return True

    def stream(self, sid):
        """(messages with arrival times, trailers dict or None, ended, reset code)."""
        msgs, trailers, ended, reset, data = [], None, False, None, b""
        heads = 0
        for t, ftype, flags, s, payload in self.frames:
            if s != sid:
                continue
            if ftype == DATA:
                data += payload
                while len(data) >= 5 and len(data) >= 5 + int.from_bytes(data[1:5], "big"):
                    n = int.from_bytes(data[1:5], "big")
                    msgs.append((t, data[5:5 + n]))
                    data = data[5 + n:]
            elif ftype == HEADERS:
                heads += 1
                if heads > 1 or any(k == "grpc-status" for k, _ in payload):
                    trailers = dict(payload)
            elif ftype == RST_STREAM:
                reset = int.from_bytes(payload, "big")
            if flags & END_STREAM and ftype in (DATA, HEADERS):
                ended = True
        return msgs, trailers, ended, reset


def run_h2(p, trigger, stubs):
    pb, _, hpb, _ = stubs
    c = RawH2(p.socket_path)
    watch = "/grpc.health.v1.Health/Watch"
    c.request(1, watch, hpb.HealthCheckRequest(service="").SerializeToString())
    c.request(3, watch, hpb.HealthCheckRequest(service="plugin").SerializeToString())
    c.request(5, "/drain.DrainTest/Hang", pb.HangRequest(tag="h2").SerializeToString())
    c.request(7, "/drain.DrainTest/Stream", pb.StreamRequest(
        tag="h2", count=STREAM_COUNT, interval_ms=STREAM_INTERVAL_MS).SerializeToString())
    c.request(9, "/drain.DrainTest/Sleep", pb.SleepRequest(tag="h2", ms=SLEEP_MS)
              .SerializeToString())
    p.wait_markers([("hang-start", "h2"), ("stream-start", "h2"), ("sleep-start", "h2")],
                   pump=c.pump)
    c.pump_until(lambda: len(c.stream(1)[0]) >= 1 and len(c.stream(3)[0]) >= 1, 5)
    t0 = time.monotonic()
    # A stream the client opens after the notice but before it answers the PING: the
    # server has it before the ACK, so the final GOAWAY must include it.
    c.before_ping_ack = lambda: c.request(11, "/drain.DrainTest/Sleep", pb.SleepRequest(
        tag="h2-early", ms=50).SerializeToString())
    p.trigger(trigger)
    mark = len(c.frames)

    def goaways():
        return [f for f in c.frames[mark:] if f[1] == GOAWAY]

    def final_goaway():
        return next((f for f in goaways()
                     if int.from_bytes(f[4][:4], "big") & 0x7FFFFFFF != NOTICE_LAST_ID), None)

    got_final = c.pump_until(lambda: final_goaway() is not None, 5)
    T = p.drain_started()
    # A new stream after the final GOAWAY: the server must ignore it.
    if got_final:
        c.request(13, "/drain.DrainTest/Sleep", pb.SleepRequest(tag="h2-late", ms=10)
                  .SerializeToString())
    c.pump_until(lambda: False, T + GRACE + 3 - time.monotonic())
    rest = p.wait_exit(GRACE + 5)
    t_cancel = common_checks(p, trigger, T, t0, "h2", rest)

    conn_frames = [(round(t - T, 3), FRAME_NAMES.get(ft, ft), fl,
                    int.from_bytes(pl[:4], "big") & 0x7FFFFFFF if ft == GOAWAY else None)
                   for t, ft, fl, s, pl in c.frames[mark:] if s == 0 and ft in (GOAWAY, PING)]
    print("     connection frames after the trigger (T + s, type, flags, last id): %r"
          % conn_frames)
    gs = goaways()
    first = gs[0] if gs else None
    check("GOAWAY shutdown notice first: last stream id 2^31-1, NO_ERROR",
          first is not None and int.from_bytes(first[4][:4], "big") == NOTICE_LAST_ID
          and int.from_bytes(first[4][4:8], "big") == 0, conn_frames)
    ping = next((f for f in c.frames[mark:] if f[1] == PING and not f[2] & ACK), None)
    fin = final_goaway()
    check("PING after the notice, before the final GOAWAY",
          first is not None and ping is not None and fin is not None
          and c.frames.index(first) < c.frames.index(ping) < c.frames.index(fin), conn_frames)
    check("final GOAWAY: last stream id 11 (opened before the PING ACK), NO_ERROR",
          fin is not None and int.from_bytes(fin[4][:4], "big") == 11
          and int.from_bytes(fin[4][4:8], "big") == 0, conn_frames)
    if fin is not None:
        check("final GOAWAY within %.0f ms + slack of the drain start" % (PHASE1 * 1000),
              fin[0] - T <= PHASE1 + SLACK, "T + %.3f s" % (fin[0] - T))
    check("exactly two GOAWAY frames", len(gs) == 2, conn_frames)

    msgs, trailers, ended, reset = c.stream(9)
    check("(a) Sleep in flight: one message and grpc-status 0",
          len(msgs) == 1 and trailers and trailers.get("grpc-status") == "0" and ended,
          (msgs, trailers, ended, reset))
    msgs, trailers, ended, reset = c.stream(7)
    indexes = [pb.Reply.FromString(m).index for _, m in msgs]
    check("(a) Stream in flight: all %d messages and grpc-status 0" % STREAM_COUNT,
          indexes == list(range(STREAM_COUNT)) and trailers
          and trailers.get("grpc-status") == "0" and ended, (indexes, trailers, ended, reset))
    msgs, trailers, ended, reset = c.stream(11)
    check("stream opened before the PING ACK: served, grpc-status 0",
          len(msgs) == 1 and trailers and trailers.get("grpc-status") == "0" and ended
          and p.marker("sleep-done", "h2-early") is not None, (msgs, trailers, ended, reset))
    late = [f for f in c.frames if f[3] == 13]
    check("(b) stream opened after the final GOAWAY: ignored (no frame for it)",
          got_final and not late, late)
    msgs, trailers, ended, reset = c.stream(5)
    check("(c) Hang: no answer; the connection is closed at the end of the grace",
          not msgs and trailers is None and c.eof is not None, (msgs, trailers, reset, c.eof))
    if c.eof is not None:
        check("(c) connection closed no later than T + grace + 100 ms + slack",
              c.eof - T <= GRACE + STATUS_WITHIN + SLACK, "T + %.3f s" % (c.eof - T))
        if t_cancel is not None:
            check("(c) connection closed within 100 ms of the cancellation",
                  c.eof - t_cancel <= STATUS_WITHIN + MEASURE, "%.3f s" % (c.eof - t_cancel))
    for sid, name in ((1, ""), (3, "plugin")):
        msgs, trailers, ended, reset = c.stream(sid)
        seen = [(t, hpb.HealthCheckResponse.FromString(m).status) for t, m in msgs]
        label = 'health Watch("%s")' % name
        check(label + ": SERVING then NOT_SERVING",
              [s for _, s in seen] == [hpb.HealthCheckResponse.SERVING,
                                       hpb.HealthCheckResponse.NOT_SERVING], seen)
        if len(seen) == 2 and fin is not None:
            check(label + ": NOT_SERVING arrived before the final GOAWAY",
                  c.frames.index(next(f for f in c.frames if f[3] == sid and f[1] == DATA
                                      and f[0] == seen[1][0])) < c.frames.index(fin),
                  "NOT_SERVING at T + %.3f s, final GOAWAY at T + %.3f s"
                  % (seen[1][0] - T, fin[0] - T))
    c.sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", choices=["python", "go", "h2"], required=True)
    ap.add_argument("--trigger", choices=["sigterm", "controller", "file", "stop"], required=True)
    ap.add_argument("--go-client")
    args = ap.parse_args()
    if args.client == "go" and not args.go_client:
        ap.error("--client go needs --go-client")

    if args.trigger == "file":
        use_file_trigger_timing()
    d = tempfile.mkdtemp(prefix="rpcplugin-drain-")
    p = None
    try:
        stubs = load_stubs(os.path.join(d, "stubs"))
        p = Plugin(args.server, args.trigger, d)
        if args.client == "python":
            run_python(p, args.trigger, stubs)
        elif args.client == "go":
            run_go(p, args.trigger, args.go_client)
        else:
            run_h2(p, args.trigger, stubs)
    except Exception:
        traceback.print_exc()
        check("the scenario ran to its end", False, "exception above")
        if p is not None:
            print("server stderr:\n" + p.stderr()[-3000:])
    finally:
        if p is not None:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)
    passed = sum(results)
    failed = len(results) - passed
    print("%d passed, %d failed" % (passed, failed))
    if failed and p is not None:
        print("server stderr:\n" + p.stderr()[-3000:])
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
