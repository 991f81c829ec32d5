#!/usr/bin/python3
"""Process-level checks of the plugin runtime with bad input, on the example KV plugin.

    test_plugin_process.py --plugin PATH

Each case runs the plugin with a prepared environment and checks its exit status, that
stdout holds nothing but (at most) the handshake line, and that stderr names the cause.
Prints PASS/FAIL lines and "N passed, N failed".
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

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

    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
