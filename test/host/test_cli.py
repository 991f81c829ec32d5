#!/usr/bin/python3
"""rpcplugin-host against real plugins and bad ones, one case per run.

    test_cli.py --case NAME --host RPCPLUGIN_HOST --dir TEST_HOST_DIR --protoset KV_PROTOSET
                [--kv-plugin PATH] [--go-plugin PATH]

Each case runs rpcplugin-host (mostly with --json), checks its exit status and output, and
then that nothing was left behind: this process is a child subreaper, so a plugin the
host failed to reap (zombie) or to stop shows up here as our child; and the plugin's
private TMPDIR must hold no socket file. Prints PASS/FAIL lines; exit status 1 on failure.
"""
import argparse
import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def check(cond, what):
    print(("PASS " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


class Run:
    def __init__(self, args, proc, elapsed, tmp):
        self.args, self.code, self.out, self.err = args, proc.returncode, proc.stdout, proc.stderr
        self.elapsed, self.tmp = elapsed, tmp
        self.json = None
        # JSON output: a --json that is not a --call's request body.
        if any(a == "--json" and not (i + 1 < len(args) and args[i + 1].startswith("{"))
               for i, a in enumerate(args)):
            try:
                self.json = json.loads(self.out)
            except ValueError as e:
                check(False, "output is one JSON object (%s): %r" % (e, self.out[:500]))

    def show(self):
        print("--- rpcplugin-host %s\n--- exit %d\n%s\n--- stderr\n%s" %
              (" ".join(self.args), self.code, self.out, self.err), flush=True)


def run_host(opts, args, timeout=60):
    tmp = tempfile.mkdtemp(prefix="host-cli-")
    env = dict(os.environ, TMPDIR=tmp)
    t0 = time.monotonic()
    proc = subprocess.run([opts.host] + args, env=env, capture_output=True, text=True, timeout=timeout)
    r = Run(args, proc, time.monotonic() - t0, tmp)
    r.show()
    return r


def check_clean(r):
    """No plugin process left (reaped or running), no socket file in its TMPDIR."""
    leaked = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:  # a child still runs: the host left a plugin behind
            for line in subprocess.run(["ps", "-o", "pid=,stat=,args=", "--ppid", str(os.getpid())],
                                       capture_output=True, text=True).stdout.splitlines():
                if "ps -o" not in line:
                    leaked.append(line.strip())
                    os.kill(int(line.split()[0]), signal.SIGKILL)
            time.sleep(0.1)
            continue
        leaked.append("pid %d (reaped here, status %d)" % (pid, status))
    check(not leaked, "no plugin process left behind %s" % leaked)
    left = sorted(os.listdir(r.tmp))
    check(not left, "no file left in the plugin's TMPDIR %s" % left)
    shutil.rmtree(r.tmp, ignore_errors=True)


KV = ["--cookie", "RPCPLUGIN_KV_PLUGIN=kv", "--versions", "1"]


def kv_calls(opts):
    return ["--descriptor-set", opts.protoset,
            "--call", "kv.KV/Put", "--json", '{"key":"greeting","value":"aGVsbG8="}',
            "--call", "kv.KV/Get", "--json", '{"key":"greeting"}',
            "--demo-kv"]


def check_kv_run(r, mtls, peer_org):
    j = r.json or {}
    check(r.code == 0, "exit status 0")
    check(j.get("error") is None, "no error")
    hs = j.get("handshake") or {}
    check(hs.get("core_version") == 1 and hs.get("app_version") == 1 and hs.get("network") == "unix"
          and hs.get("protocol") == "grpc", "handshake 1|1|unix|...|grpc")
    check(hs.get("server_certificate") == mtls, "server certificate in field 6 iff AutoMTLS")
    tls = j.get("tls")
    if mtls:
        check(tls is not None and tls["version"].startswith("TLSv1.") and tls["alpn"] == "h2",
              "TLS with ALPN h2: %s" % tls)
        peer = (tls or {}).get("peer_certificate") or {}
        check("localhost" in peer.get("dns_names", []), "peer certificate has SAN localhost")
        check("O=" + peer_org in peer.get("subject", ""), "peer certificate from the plugin (O=%s)" % peer_org)
        check(((tls or {}).get("host_certificate") or {}).get("key_type") == "EC P-521",
              "host certificate is ECDSA P-521")
    else:
        check(tls is None, "plaintext without AutoMTLS")
    check((j.get("health") or {}).get("status") == "SERVING", "health SERVING")
    calls = j.get("calls", [])
    check(len(calls) == 2 and all(c["status"]["code"] == "OK" for c in calls), "both calls OK")
    check(len(calls) == 2 and calls[1]["response"] == {"value": "aGVsbG8="}, "Get returns the Put value")
    demo = j.get("demo", [])
    check(len(demo) == 2 and all(d["ok"] for d in demo), "broker round trips both ways: %s" % demo)
    sd = j.get("shutdown") or {}
    check(sd.get("graceful") and not sd.get("killed") and sd.get("exit") == "exit status 0",
          "graceful shutdown, exit status 0: %s" % sd)
    t = j.get("timings_ms", {})
    check(all(isinstance(t.get(k), float) for k in ("handshake", "connected", "first_rpc", "shutdown")),
          "timings recorded")


def case_kv(opts, plugin, mtls, peer_org):
    args = KV + kv_calls(opts) + ["--json"] + ([] if mtls else ["--no-mtls"]) + [plugin]
    r = run_host(opts, args)
    check_kv_run(r, mtls, peer_org)
    return r


def case_go_kv(opts, mtls):
    r = case_kv(opts, opts.go_plugin, mtls, "HashiCorp")
    j = r.json or {}
    # go-plugin 1.0.1 serves neither reflection nor GRPCStdio; its hclog lines are structured.
    check(not j["reflection"]["served"], "go-plugin 1.0.1: reflection not served")
    check(j["stdio"] and j["stdio"]["code"] == "UNIMPLEMENTED", "go-plugin 1.0.1: GRPCStdio UNIMPLEMENTED")
    puts = [s for s in j.get("stderr", []) if s["structured"] and s["message"] == "put"]
    check(puts and puts[0]["level"] == "debug" and puts[0]["module"] == "kv"
          and puts[0]["fields"].get("key") == "greeting" and puts[0]["fields"].get("bytes") == "5",
          "the plugin's hclog JSON line is relayed with level, module and fields")
    check_clean(r)


def case_cpp_kv(opts, mtls):
    r = case_kv(opts, opts.kv_plugin, mtls, "rpcplugin")
    j = r.json or {}
    check(any(s["message"] == "shutdown requested by the host" for s in j.get("stderr", [])),
          "the plugin's log line about Controller.Shutdown is relayed")
    check_clean(r)


def case_cpp_kv_text(opts):
    r = run_host(opts, KV + kv_calls(opts) + [opts.kv_plugin])
    check(r.code == 0, "exit status 0")
    for label in ("plugin", "handshake", "tls", "peer cert", "health", "call", "broker", "output",
                  "shutdown", "timings"):
        check(any(l.startswith(label + " ") for l in r.out.splitlines()), "a '%s' line" % label)
    check("-> OK {\"value\":\"aGVsbG8=\"}" in r.out, "the Get response in JSON mapping")
    check("exit status 0" in r.out, "the exit status")
    check_clean(r)


def case_py_plugin(opts):
    r = run_host(opts, ["--cookie", "TEST_PY_PLUGIN=1", "--json", os.path.join(opts.dir, "plugins/py_plugin.py"),
                        "--stdout-line", "plain stdout"])
    j = r.json or {}
    check(r.code == 0, "exit status 0")
    refl = j.get("reflection") or {}
    check(refl.get("served") and "plugin.GRPCStdio" in refl.get("services", []),
          "services listed through reflection: %s" % refl.get("services"))
    out = j.get("output", [])
    check({"source": "grpc-stdout", "data": "hello from the plugin's stdout\n"} in out, "GRPCStdio stdout chunk")
    check({"source": "grpc-stderr", "data": "a line on the plugin's stderr\n"} in out, "GRPCStdio stderr chunk")
    check({"source": "stdout", "data": "plain stdout"} in out, "stdout line after the handshake")
    peer = ((j.get("tls") or {}).get("peer_certificate") or {})
    check("O=py-plugin" in peer.get("subject", ""), "AutoMTLS with a grpcio plugin")
    check_clean(r)


def case_call_fails(opts):
    r = run_host(opts, KV + ["--descriptor-set", opts.protoset, "--call", "kv.KV/Get", "--json",
                             '{"key":"missing"}', "--json", opts.kv_plugin])
    j = r.json or {}
    check(r.code == 3, "exit status 3 when a call fails")
    c = (j.get("calls") or [{}])[0]
    check(c.get("status", {}).get("code") == "NOT_FOUND" and c.get("response") is None, "NOT_FOUND reported")
    check((j.get("shutdown") or {}).get("graceful"), "the plugin is still shut down gracefully")
    check_clean(r)


def case_usage(opts):
    marker = tempfile.mktemp(prefix="host-cli-marker-")
    script = tempfile.mktemp(prefix="host-cli-plugin-")
    with open(script, "w") as f:
        f.write("#!/bin/sh\ntouch %s\nexit 1\n" % marker)
    os.chmod(script, 0o755)
    cases = [
        (["--frobnicate", script], "unknown option --frobnicate"),
        ([], "no plugin given"),
        (["--descriptor-set", opts.protoset, "--call", "kv.KV/Get", "--json", '{"nokey":1}', script],
         "request for kv.KV.Get"),
        (["--descriptor-set", opts.protoset, "--call", "kv.KV/Nope", script], "service kv.KV has no method Nope"),
        (["--descriptor-set", opts.protoset, "--call", "kv.Nope/Get", script], "the descriptor set has no service kv.Nope"),
        (["--descriptor-set", "/nonexistent.protoset", "--call", "kv.KV/Get", script], "cannot read descriptor set"),
        (["--reattach", "{\"p\": 1}"], "reattach config \"p\": want an object, got number"),
        (["--versions", "one", script], "--versions wants"),
    ]
    for args, needle in cases:
        r = run_host(opts, args)
        check(r.code == 2, "exit status 2 for %s" % args)
        check(needle in r.err, "stderr names the problem (%r)" % needle)
        shutil.rmtree(r.tmp, ignore_errors=True)
    check(not os.path.exists(marker), "a usage error never starts the plugin")
    os.unlink(script)
    r = run_host(opts, ["--help"])
    check(r.code == 0 and "Exit status:" in r.out, "--help prints the usage")
    shutil.rmtree(r.tmp, ignore_errors=True)


def case_reattach(opts):
    tmp = tempfile.mkdtemp(prefix="host-cli-reattach-")
    env = dict(os.environ, TEST_PY_PLUGIN="1", TMPDIR=tmp, PLUGIN_PROTOCOL_VERSIONS="1")
    env.pop("PLUGIN_CLIENT_CERT", None)
    plugin = subprocess.Popen([os.path.join(opts.dir, "plugins/py_plugin.py")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = plugin.stdout.readline().strip()
        fields = line.split("|")
        check(len(fields) == 6, "the Python plugin printed its handshake line %r" % line)
        cfg = {"py": {"Protocol": "grpc", "ProtocolVersion": 1, "Pid": plugin.pid, "Test": True,
                      "Addr": {"Network": fields[2], "String": fields[3]}}}
        r = run_host(opts, ["--reattach", json.dumps(cfg), "--json"])
        j = r.json or {}
        check(r.code == 0, "exit status 0")
        check(j.get("reattached") and j.get("pid") == plugin.pid, "reattached to pid %d" % plugin.pid)
        check((j.get("health") or {}).get("status") == "SERVING", "health SERVING")
        check((j.get("shutdown") or {}).get("owned") is False, "the host did not stop the plugin")
        check(plugin.poll() is None, "the plugin still runs")
        shutil.rmtree(r.tmp, ignore_errors=True)
    finally:
        plugin.kill()
        plugin.wait()
        shutil.rmtree(tmp, ignore_errors=True)


BAD = {
    "exits-early": ("exits_early.sh", [], "plugin_exited",
                    ["plugin exited before we could connect (exit status 3)",
                     "[ERROR] cannot open the database /nonexistent/db"]),
    "garbage": ("garbage.sh", [], "unrecognized_handshake",
                ["Unrecognized remote plugin message: Hello! I am not a plugin."]),
    "wrong-core-version": ("wrong_core.sh", [], "core_version_mismatch",
                           ["incompatible core API version with plugin. Plugin version: 2, Core version: 1"]),
    "unsupported-version": ("wrong_version.sh", [], "app_version_mismatch",
                            ["incompatible API version with plugin. Plugin version: 7, Client versions: [1]"]),
    "start-timeout": ("silent.sh", ["--start-timeout", "500"], "start_timeout",
                      ["timeout while waiting for plugin to start (no handshake line within 500 ms)"]),
    "bad-cert": ("bad_cert.sh", [], "bad_server_certificate", ["error parsing server cert: "]),
    "netrpc": ("netrpc.sh", [], "unsupported_protocol",
               ["unsupported plugin protocol \"netrpc\". Supported: [grpc]"]),
}


def case_bad(opts, name):
    script, extra, code, needles = BAD[name]
    r = run_host(opts, ["--cookie", "K=v", "--json"] + extra + [os.path.join(opts.dir, "bad_plugins", script)])
    j = r.json or {}
    check(r.code == 1, "exit status 1")
    err = j.get("error") or {}
    check(err.get("code") == code, "error code %s (got %s)" % (code, err.get("code")))
    for n in needles:
        check(n in err.get("message", ""), "error message has %r" % n)
    check(j.get("shutdown") is None, "nothing to shut down")
    check_clean(r)


def case_ignores_shutdown(opts):
    r = run_host(opts, ["--cookie", "TEST_PY_PLUGIN=1", "--no-mtls", "--json",
                        os.path.join(opts.dir, "bad_plugins/ignores_shutdown.sh")])
    j = r.json or {}
    sd = j.get("shutdown") or {}
    check(r.code == 4, "exit status 4 when the plugin had to be killed")
    check(sd.get("controller", {}).get("code") == "OK", "Controller.Shutdown answered OK")
    check(sd.get("killed") and not sd.get("graceful"), "killed, not graceful")
    check(sd.get("exit") == "killed by signal 9 (SIGKILL)", "SIGKILL: %s" % sd.get("exit"))
    check(sd.get("ms", 0) >= 2000, "after the 2 s grace period (%s ms)" % sd.get("ms"))
    address = (j.get("handshake") or {}).get("address")
    check(sd.get("removed_sockets") == [address], "the host removed the dead plugin's socket %s" % address)
    check_clean(r)


def case_interrupted(opts):
    """SIGINT while waiting for the handshake: the host kills and reaps the plugin, exits 130."""
    tmp = tempfile.mkdtemp(prefix="host-cli-")
    env = dict(os.environ, TMPDIR=tmp)
    host = subprocess.Popen([opts.host, "--cookie", "K=v", "--env", "PID_FILE=" + os.path.join(tmp, "pid"),
                             os.path.join(opts.dir, "bad_plugins/silent.sh")],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while not os.path.exists(os.path.join(tmp, "pid")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    host.send_signal(signal.SIGINT)
    out, err = host.communicate(timeout=10)
    print("--- exit %d\n%s\n--- stderr\n%s" % (host.returncode, out, err))
    check(host.returncode == 130, "exit status 130 after SIGINT")
    check("interrupted by signal 2; plugin killed" in err, "says so on stderr")
    os.unlink(os.path.join(tmp, "pid"))
    check_clean(Run([], subprocess.CompletedProcess([], 0, "", ""), 0, tmp))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--protoset", required=True)
    ap.add_argument("--kv-plugin")
    ap.add_argument("--go-plugin")
    opts = ap.parse_args()
    # Orphans of the host's plugins are re-parented to us, so leaks are visible.
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        check(False, "prctl(PR_SET_CHILD_SUBREAPER)")
    c = opts.case
    if c == "go-kv-automtls":
        case_go_kv(opts, True)
    elif c == "go-kv-plaintext":
        case_go_kv(opts, False)
    elif c == "cpp-kv-automtls":
        case_cpp_kv(opts, True)
    elif c == "cpp-kv-plaintext":
        case_cpp_kv(opts, False)
    elif c == "cpp-kv-text":
        case_cpp_kv_text(opts)
    elif c == "py-plugin":
        case_py_plugin(opts)
    elif c == "call-fails":
        case_call_fails(opts)
    elif c == "usage":
        case_usage(opts)
    elif c == "reattach":
        case_reattach(opts)
    elif c == "ignores-shutdown":
        case_ignores_shutdown(opts)
    elif c == "interrupted":
        case_interrupted(opts)
    elif c in BAD:
        case_bad(opts, c)
    else:
        check(False, "unknown case " + c)
    print("%s: %d failure(s)" % (c, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
