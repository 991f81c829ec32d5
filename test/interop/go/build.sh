#!/bin/bash
# Builds the grpc-go interop programs offline: OUTDIR/interop_client, OUTDIR/interop_server.
#
# Usage: test/interop/go/build.sh OUTDIR
#
# Uses Debian's Go packages in GOPATH mode (no module proxy, no network): a private
# GOPATH under OUTDIR/gopath links our sources in as package "interop/...", Go stubs
# for proto/grpc/testing/*.proto are generated into it as package "interop/testpb",
# and /usr/share/gocode supplies grpc-go and its dependencies. Idempotent; the Go
# build cache lives in OUTDIR/gocache.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go-1-3 (protoc-gen-go with
# plugins=grpc), protobuf-compiler.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
PROTO_DIR=$REPO/proto
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

for tool in go protoc protoc-gen-go; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install golang-go protobuf-compiler protoc-gen-go-1-3)"
done
[ -d "$SYS_GOPATH/src/google.golang.org/grpc" ] || die "grpc-go sources missing under $SYS_GOPATH (apt-get install golang-google-grpc-dev)"
for f in empty messages test; do
    [ -f "$PROTO_DIR/grpc/testing/$f.proto" ] || die "missing $PROTO_DIR/grpc/testing/$f.proto"
done

# Our packages, linked into the private GOPATH.
mkdir -p "$GP/src/interop"
for pkg in client server gzipctl; do
    ln -sfn "$HERE/$pkg" "$GP/src/interop/$pkg"
done

# Generated stubs: all three protos into one package, interop/testpb. Files are only
# replaced when their content changes.
GEN=$OUT/gen.tmp
rm -rf "$GEN" && mkdir -p "$GEN"
M=Mgrpc/testing/empty.proto=interop/testpb,Mgrpc/testing/messages.proto=interop/testpb,Mgrpc/testing/test.proto=interop/testpb
protoc -I"$PROTO_DIR" --go_out="plugins=grpc,paths=source_relative,$M:$GEN" \
    grpc/testing/empty.proto grpc/testing/messages.proto grpc/testing/test.proto \
    || die "protoc failed"
mkdir -p "$GP/src/interop/testpb"
for f in "$GEN"/grpc/testing/*.pb.go; do
    dst=$GP/src/interop/testpb/$(basename "$f")
    cmp -s "$f" "$dst" || cp "$f" "$dst"
done
rm -rf "$GEN"

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
for prog in client server; do
    go build -o "$OUT/interop_$prog" "interop/$prog" || die "go build interop/$prog failed"
done
echo "built $OUT/interop_client $OUT/interop_server"
