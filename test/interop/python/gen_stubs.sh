#!/bin/sh
# Generate Python protobuf + gRPC stubs for grpc.testing into OUTDIR.
# Usage: gen_stubs.sh OUTDIR
# The modules land in OUTDIR/grpc/testing/; since that clashes with the
# installed `grpc` package, importers must append OUTDIR/grpc to grpc.__path__
# (interop_stubs.py does this).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
proto_dir="$(cd "$(dirname "$0")/../../../proto" && pwd)"
mkdir -p "$1"
exec protoc -I"$proto_dir" --python_out="$1" --grpc_python_out="$1" \
    --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin \
    grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto
