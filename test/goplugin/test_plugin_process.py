#!/usr/bin/python3
"""Process-level checks of the plugin runtime with bad input, on the example KV plugin.

    test_plugin_process.py --plugin PATH

Each case runs the plugin with a prepared environment and checks its exit status, that
stdout holds nothing but (at most) the handshake line, and that stderr names the cause.
Also: the Unix socket's directory, mode and group (PLUGIN_UNIX_SOCKET_DIR/_GROUP), SIGINT
ignored, the multiplexing field, and debug mode (PLUGIN_DEBUG / --debug: the reattach
JSON, SIGINT stops it). Prints PASS/FAIL lines and "N passed, N failed".
"""
import argparse
import grp
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

import grpc

COOKIE = {"RPCPLUGIN_KV_PLUGIN": "kv"}
results = []


def check(name, cond, why=""):
    results.append(cond)
    print(("PASS " if cond else "FAIL ") + name + ("" if cond else ": " + why), flush=True)


def run(plugin, env, timeout=10):
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full.update(env)
    p = subprocess.run([plugin], env=full, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def expect_exit1(plugin, name, env, needle):
    code, out, err = run(plugin, env)
    check(name, code == 1 and out == "" and needle in err,
          "exit %d, stdout %r, stderr %r" % (code, out, err[-300:]))


def health_check(target):
    """grpc.health.v1.Health/Check{service: "plugin"} with raw protobuf bytes; True if SERVING."""
    with grpc.insecure_channel(target) as ch:
        check_call = ch.unary_unary("/grpc.health.v1.Health/Check")
        try:
            resp = check_call(b"\x0a\x06plugin", timeout=10)
        except grpc.RpcError:
            return False
        return resp == b"\x08\x01"  # status: SERVING


def start(plugin, env, args=()):
    full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    full.update(env)
    return subprocess.Popen([plugin] + list(args), env=full, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop(p, sig=signal.SIGTERM, timeout=5):
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out, err
    return p.returncode, out, err


def socket_group_cases(plugin, d):
    """PLUGIN_UNIX_SOCKET_GROUP by name and by gid: mode 0660 and that group; unknown: exit 1."""
    if os.geteuid() == 0:
        names = [g for g in ("daemon", "nogroup") if _group_exists(g)]
    else:  # without root, only a group of our own can be given
        names = [grp.getgrgid(os.getegid()).gr_name]
    if not names:
        check("PLUGIN_UNIX_SOCKET_GROUP: a group to test with", False, "no daemon/nogroup")
        return
    group = grp.getgrnam(names[0])
    for value in (group.gr_name, str(group.gr_gid)):
        p = start(plugin, dict(COOKIE, PLUGIN_UNIX_SOCKET_DIR=d, PLUGIN_UNIX_SOCKET_GROUP=value))
        fields = p.stdout.readline().rstrip("\n").split("|")
        path = fields[3] if len(fields) == 6 else ""
        st = os.stat(path) if path and os.path.exists(path) else None
        check("PLUGIN_UNIX_SOCKET_GROUP=%s: socket in the dir, mode 0660, gid %d" %
              (value, group.gr_gid),
              st is not None and os.path.dirname(path) == d and stat.S_ISSOCK(st.st_mode) and
              stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == group.gr_gid,
              "fields %r stat %r" % (fields, st))
        check("PLUGIN_UNIX_SOCKET_GROUP=%s: served" % value,
              path != "" and health_check("unix:" + path))
        code, rest, _ = stop(p)
        check("PLUGIN_UNIX_SOCKET_GROUP=%s: exit 0, socket removed" % value,
              code == 0 and rest == "" and not (path and os.path.exists(path)),
              "exit %r" % code)
    for bad, needle in (("no-such-group-rpcplugin", "no group named"),
                        ("4294967295", "is not a group id"),
                        ("99999999999999999999", "is not a group id")):
        expect_exit1(plugin, "PLUGIN_UNIX_SOCKET_GROUP=%s: exit 1 naming the variable" % bad,
                     dict(COOKIE, PLUGIN_UNIX_SOCKET_DIR=d, PLUGIN_UNIX_SOCKET_GROUP=bad),
                     "PLUGIN_UNIX_SOCKET_GROUP")
        _, _, err = run(plugin, dict(COOKIE, PLUGIN_UNIX_SOCKET_DIR=d,
                                     PLUGIN_UNIX_SOCKET_GROUP=bad))
        check("PLUGIN_UNIX_SOCKET_GROUP=%s: says why" % bad, needle in err, err[-300:])
    check("no socket file left in PLUGIN_UNIX_SOCKET_DIR",
          not [f for f in os.listdir(d) if f.startswith("plugin")], repr(os.listdir(d)))


def _group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def sigint_ignored_case(plugin, d):
    """Not in debug mode, SIGINT (the host's terminal) changes nothing; SIGTERM drains."""
    p = start(plugin, dict(COOKIE, PLUGIN_UNIX_SOCKET_DIR=d))
    fields = p.stdout.readline().rstrip("\n").split("|")
    ok = len(fields) == 6
    p.send_signal(signal.SIGINT)
    p.send_signal(signal.SIGINT)
    # Still serving after the signals: a health check goes through.
    served = ok and health_check("unix:" + fields[3])
    check("SIGINT ignored: still running and serving", served and p.poll() is None,
          "exit %r" % p.poll())
    code, rest, _ = stop(p)
    check("SIGTERM after SIGINT: exit 0", code == 0 and rest == "", "exit %r" % code)


def reattach_json(text):
    """The JSON of the "\tTF_REATTACH_PROVIDERS='...'" line, or None."""
    for line in text.splitlines():
        if line.startswith("\tTF_REATTACH_PROVIDERS='") and line.endswith("'"):
            return json.loads(line[len("\tTF_REATTACH_PROVIDERS='"):-1].replace("'\\''", "'"))
    return None


def debug_mode_cases(plugin, d):
    """PLUGIN_DEBUG=1 or --debug: no cookie, the reattach JSON on stdout, SIGINT stops."""
    for how, env, args in (("PLUGIN_DEBUG=1", {"PLUGIN_DEBUG": "1"}, ()),
                           ("--debug", {}, ("--debug",))):
        env = dict(env, PLUGIN_UNIX_SOCKET_DIR=d, PLUGIN_REATTACH_NAME="example.com/acme/kv")
        p = start(plugin, env, args)
        head = ""
        while True:  # up to the empty line after the JSON line
            line = p.stdout.readline()
            head += line
            if not line or (line == "\n" and "TF_REATTACH_PROVIDERS=" in head):
                break
        info = reattach_json(head)
        entry = (info or {}).get("example.com/acme/kv", {})
        path = entry.get("Addr", {}).get("String", "")
        check(how + ": reattach JSON without a cookie",
              head.startswith("Plugin started in debug mode. To attach a host, set the "
                              "TF_REATTACH_PROVIDERS environment variable") and
              list(info or {}) == ["example.com/acme/kv"] and
              entry.get("Protocol") == "grpc" and entry.get("ProtocolVersion") == 1 and
              entry.get("Pid") == p.pid and entry.get("Test") is True and
              entry.get("Addr", {}).get("Network") == "unix" and
              os.path.dirname(path) == d and os.path.exists(path), repr(head))
        check(how + ": plaintext, serving", path != "" and health_check("unix:" + path))
        code, rest, err = stop(p, signal.SIGINT)
        check(how + ": SIGINT stops it: exit 0, socket removed, nothing more on stdout",
              code == 0 and rest == "" and not os.path.exists(path),
              "exit %r rest %r err %r" % (code, rest, err[-200:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True)
    plugin = ap.parse_args().plugin

    code, out, err = run(plugin, {})
    check("missing cookie", code == 1 and out == "" and
          err.startswith("This binary is a plugin. These are not meant to be executed directly."),
          "exit %d, stdout %r, stderr %r" % (code, out, err))
    code, out, err = run(plugin, {"RPCPLUGIN_KV_PLUGIN": "wrong"})
    check("wrong cookie", code == 1 and out == "" and "This binary is a plugin" in err,
          "exit %d" % code)
    expect_exit1(plugin, "garbage PLUGIN_PROTOCOL_VERSIONS",
                 dict(COOKIE, PLUGIN_PROTOCOL_VERSIONS="1,x"), "PLUGIN_PROTOCOL_VERSIONS")
    expect_exit1(plugin, "PLUGIN_MIN_PORT > PLUGIN_MAX_PORT",
                 dict(COOKIE, PLUGIN_MIN_PORT="5000", PLUGIN_MAX_PORT="4000"), "PLUGIN_MIN_PORT")
    expect_exit1(plugin, "invalid PLUGIN_CLIENT_CERT",
                 dict(COOKIE, PLUGIN_CLIENT_CERT="not a certificate"), "PLUGIN_CLIENT_CERT")

    # Every port of the range busy: hold three ports, allow only those, TCP only.
    held = []
    for _ in range(3):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        held.append(s)
    ports = sorted(s.getsockname()[1] for s in held)
    if ports[-1] - ports[0] == 2:
        expect_exit1(plugin, "every port in range busy",
                     dict(COOKIE, PLUGIN_SERVER_TRANSPORTS="tcp", PLUGIN_MIN_PORT=str(ports[0]),
                          PLUGIN_MAX_PORT=str(ports[-1])), "no listener could be created")
    else:  # the system gave non-adjacent ports: use a one-port range
        expect_exit1(plugin, "every port in range busy",
                     dict(COOKIE, PLUGIN_SERVER_TRANSPORTS="tcp", PLUGIN_MIN_PORT=str(ports[0]),
                          PLUGIN_MAX_PORT=str(ports[0])), "no listener could be created")
    for s in held:
        s.close()

    with tempfile.TemporaryDirectory() as d:
        not_a_dir = os.path.join(d, "file")
        open(not_a_dir, "w").close()
        expect_exit1(plugin, "unusable socket dir",
                     dict(COOKIE, PLUGIN_SERVER_TRANSPORTS="unix", PLUGIN_UNIX_SOCKET_DIR=not_a_dir),
                     "no listener could be created")

        # A good start in a chosen socket dir, then SIGTERM: exit 0, socket removed.
        full = dict(COOKIE, PLUGIN_UNIX_SOCKET_DIR=d, PATH=os.environ.get("PATH", ""))
        p = subprocess.Popen([plugin], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        line = p.stdout.readline()
        fields = line.rstrip("\n").split("|")
        ok = len(fields) == 6 and fields[:3] == ["1", "1", "unix"] and fields[4] == "grpc" \
            and fields[3].startswith(d + "/") and os.path.exists(fields[3])
        check("handshake line with PLUGIN_UNIX_SOCKET_DIR", ok, repr(line))
        mode = os.stat(fields[3]).st_mode & 0o777 if ok else None
        check("socket mode 0600", mode == 0o600, "mode %r" % mode)
        p.terminate()
        try:
            rest, _ = p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            rest = ""
        check("SIGTERM: exit 0, socket removed, nothing more on stdout",
              p.returncode == 0 and rest == "" and not (ok and os.path.exists(fields[3])),
              "exit %r, stdout %r" % (p.returncode, rest))

        # The shutdown file starts the same drain.
        flag = os.path.join(d, "stop-now")
        full["PLUGIN_SHUTDOWN_FILE_PATH"] = flag
        p = subprocess.Popen([plugin], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        p.stdout.readline()
        open(flag, "w").close()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
        check("shutdown file: exit 0 within 5 s, file removed",
              p.returncode == 0 and not os.path.exists(flag), "exit %r" % p.returncode)

        # PLUGIN_MULTIPLEX_GRPC: field 7 answers false.
        full.pop("PLUGIN_SHUTDOWN_FILE_PATH")
        full["PLUGIN_MULTIPLEX_GRPC"] = "true"
        p = subprocess.Popen([plugin], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        line = p.stdout.readline()
        p.terminate()
        p.wait(timeout=5)
        check("PLUGIN_MULTIPLEX_GRPC answered false in field 7",
              line.rstrip("\n").split("|")[-1] == "false" and len(line.split("|")) == 7, repr(line))

        socket_group_cases(plugin, d)
        sigint_ignored_case(plugin, d)
        debug_mode_cases(plugin, d)

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
