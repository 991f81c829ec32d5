#!/usr/bin/python3
"""Runs an interop client against rpcplugin-interop-server over one transport.

    run_interop.py --server BIN [--server-kind rpcplugin|go|cpp]
                   --client python|go|cpp [--client-bin BIN]
                   --transport unix|tcp|tls|mtls [--cases a,b] [--repeat N]

Starts the server (ours, the grpc-go one or the gRPC C++ one) on a fresh Unix socket or
a free loopback port (with throwaway certificates made by openssl for TLS), waits for
its READY line, runs the client (python3-grpcio, grpc-go or ours), stops the server,
and exits with the client's status. The client prints the
PASS/FAIL lines and an "N passed, N failed" summary.
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def make_certs(d):
    """A CA, a server certificate for localhost and a client certificate (ECDSA P-256)."""
    def run(*args):
        subprocess.run(args, check=True, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=interop-ca")
    for name in ("server", "client"):
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--server-kind", choices=["rpcplugin", "go", "cpp"], default="rpcplugin")
    ap.add_argument("--client", choices=["python", "go", "cpp"], required=True)
    ap.add_argument("--client-bin", "--go-client", dest="client_bin")
    ap.add_argument("--transport", choices=["unix", "tcp", "tls", "mtls"], required=True)
    ap.add_argument("--cases")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="rpcplugin-interop-") as d:
        listen = "unix:" + os.path.join(d, "s.sock") if args.transport == "unix" else "127.0.0.1:0"
        dash = "-" if args.server_kind == "go" else "--"
        server_cmd = [args.server, dash + "listen", listen]
        tls = args.transport in ("tls", "mtls")
        if tls:
            make_certs(d)
            server_cmd += [dash + "tls", dash + "cert", os.path.join(d, "server.pem"),
                           dash + "key", os.path.join(d, "server.key")]
            if args.transport == "mtls":
                server_cmd += [dash + ("client_ca" if args.server_kind == "go" else "client-ca"),
                               os.path.join(d, "ca.pem")]
        server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline().strip()
            while line.startswith("PORT "):
                line = server.stdout.readline().strip()
            if not line.startswith("READY "):
                print("server did not start: %r" % line)
                print("0 passed, 1 failed")
                return 1
            target = line.split(" ", 1)[1]
            if args.client == "python":
                cmd = ["/usr/bin/python3", os.path.join(HERE, "python", "interop_client.py"),
                       "--target", target]
                if tls:
                    cmd += ["--tls", "--ca", os.path.join(d, "ca.pem"), "--server-name", "localhost"]
                if args.transport == "mtls":
                    cmd += ["--client-cert", os.path.join(d, "client.pem"),
                            "--client-key", os.path.join(d, "client.key")]
                if args.cases:
                    cmd += ["--cases", args.cases]
            elif args.client == "cpp":
                cmd = [args.client_bin, "--target", target]
                if tls:
                    cmd += ["--tls", "--ca", os.path.join(d, "ca.pem"), "--server-name", "localhost"]
                if args.transport == "mtls":
                    cmd += ["--client-cert", os.path.join(d, "client.pem"),
                            "--client-key", os.path.join(d, "client.key")]
                if args.cases:
                    cmd += ["--cases", args.cases]
            else:
                cmd = [args.client_bin, "-target", target]
                if tls:
                    cmd += ["-tls", "-ca", os.path.join(d, "ca.pem"), "-server_name", "localhost"]
                if args.transport == "mtls":
                    cmd += ["-client_cert", os.path.join(d, "client.pem"),
                            "-client_key", os.path.join(d, "client.key")]
                if args.cases:
                    cmd += ["-cases", args.cases]
            rc = 0
            for _ in range(args.repeat):
                rc = subprocess.run(cmd, timeout=300).returncode
                if rc != 0:
                    break
            if server.poll() is not None:
                print("server exited during the run with status %d" % server.returncode)
                return 1
            return rc
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
