#!/bin/bash
# Builds the grpc-go drain test client offline: OUTDIR/drain_client.
#
# Usage: test/drain/go/build.sh OUTDIR
#
# tools/go-build links client/ in as package "drain/client", generates the Go stubs of
# test/drain/drainsvc.proto as package "drain/drainpb", and takes grpc-go from Debian's
# /usr/share/gocode.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go-1-3, protobuf-compiler.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
exec "$REPO/tools/go-build" "$1" \
    --need google.golang.org/grpc:golang-google-grpc-dev \
    --link drain/client="$HERE/client" \
    --proto-path "$HERE/.." \
    --stubs drain/drainpb=drainsvc.proto \
    --build drain/client=drain_client
