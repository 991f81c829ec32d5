#!/bin/sh
# Validate interop_client.py and h2_compressed_check.py against the Python
# reference server over a unix socket, TCP loopback, TLS and mTLS (throwaway
# self-signed certificates, SAN localhost).  Usage: selftest.sh
# Exits 0 only if every run passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=""
rc=0
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

"$here/gen_stubs.sh" "$tmp/stubs" || exit 1
for n in server client; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost \
        -keyout "$tmp/$n.key" -out "$tmp/$n.pem" 2>/dev/null || exit 1
done

# start NAME SERVER-ARGS...: run a server, wait for READY, set $port.
start() {
    name=$1; shift
    "$py" "$here/interop_server.py" --stubs-dir "$tmp/stubs" "$@" >"$tmp/$name.out" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 100); do
        grep -qx READY "$tmp/$name.out" && break
        sleep 0.1
    done
    grep -qx READY "$tmp/$name.out" || { echo "server $name did not start"; cat "$tmp/$name.out"; exit 1; }
    port=$(sed -n 's/^PORT //p' "$tmp/$name.out")
}

# run LABEL CMD...: run a check, record failure.
run() {
    label=$1; shift
    echo "== $label"
    "$py" "$@" --stubs-dir "$tmp/stubs" || { rc=1; echo "!! $label failed"; }
}

start unix --listen "unix:$tmp/s.sock"
run "unix client" "$here/interop_client.py" --target "unix:$tmp/s.sock"
run "unix h2" "$here/h2_compressed_check.py" --target "unix:$tmp/s.sock"

start tcp --listen 127.0.0.1:0
run "tcp client" "$here/interop_client.py" --target "127.0.0.1:$port"
run "tcp h2" "$here/h2_compressed_check.py" --target "127.0.0.1:$port"

start tls --listen 127.0.0.1:0 --tls --cert "$tmp/server.pem" --key "$tmp/server.key"
run "tls client" "$here/interop_client.py" --target "127.0.0.1:$port" --tls \
    --ca "$tmp/server.pem" --server-name localhost

start mtls --listen 127.0.0.1:0 --tls --cert "$tmp/server.pem" --key "$tmp/server.key" \
    --client-ca "$tmp/client.pem"
run "mtls client" "$here/interop_client.py" --target "127.0.0.1:$port" --tls \
    --ca "$tmp/server.pem" --server-name localhost \
    --client-cert "$tmp/client.pem" --client-key "$tmp/client.key"
echo "== mtls without client certificate (must fail)"
if "$py" "$here/interop_client.py" --stubs-dir "$tmp/stubs" --target "127.0.0.1:$port" --tls \
    --ca "$tmp/server.pem" --server-name localhost --cases empty_unary --timeout 3; then
    rc=1; echo "!! mtls server accepted a client without certificate"
fi

echo "selftest: $([ $rc = 0 ] && echo OK || echo FAILED)"
exit $rc
