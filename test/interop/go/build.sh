#!/bin/bash
# Builds the grpc-go interop programs offline: OUTDIR/interop_client, OUTDIR/interop_server.
#
# Usage: test/interop/go/build.sh OUTDIR
#
# tools/go-build links our sources in as packages "interop/...", generates the Go stubs
# of proto/grpc/testing/*.proto as package "interop/testpb", and takes grpc-go and its
# dependencies from Debian's /usr/share/gocode.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go-1-3, protobuf-compiler.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
exec "$REPO/tools/go-build" "$1" \
    --need google.golang.org/grpc:golang-google-grpc-dev \
    --link interop/client="$HERE/client" \
    --link interop/server="$HERE/server" \
    --link interop/gzipctl="$HERE/gzipctl" \
    --proto-path "$REPO/proto" \
    --stubs interop/testpb=grpc/testing/empty.proto,grpc/testing/messages.proto,grpc/testing/test.proto \
    --build interop/client=interop_client \
    --build interop/server=interop_server
