#!/bin/bash
# Builds the grpc-go baseline offline: OUTDIR/go-echo-server.
#
# Usage: bench/baselines/go/build.sh OUTDIR
#
# tools/go-build links server/ in as package "benchgo/server", generates the Go stubs of
# bench/proto/bench/echo.proto as "benchgo/benchpb", and takes grpc-go 1.33 from Debian's
# /usr/share/gocode.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go-1-3, protobuf-compiler.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
exec "$REPO/tools/go-build" "$1" \
    --need google.golang.org/grpc:golang-google-grpc-dev \
    --link benchgo/server="$HERE/server" \
    --proto-path "$REPO/bench/proto" \
    --stubs benchgo/benchpb=bench/echo.proto \
    --build benchgo/server=go-echo-server
