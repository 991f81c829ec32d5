#!/bin/bash
# Builds the grpc-go drain test client offline: OUTDIR/drain_client.
#
# Usage: test/drain/go/build.sh OUTDIR
#
# GOPATH mode, no network (as test/interop/go/build.sh): a private GOPATH under
# OUTDIR/gopath links client/ in as package "drain/client", Go stubs for
# test/drain/drainsvc.proto are generated into it as package "drain/drainpb", and
# /usr/share/gocode supplies grpc-go. Idempotent; the Go build cache is OUTDIR/gocache.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go-1-3, protobuf-compiler.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROTO_DIR=$(cd "$HERE/.." && pwd)
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

for tool in go protoc protoc-gen-go; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install golang-go protobuf-compiler protoc-gen-go-1-3)"
done
[ -d "$SYS_GOPATH/src/google.golang.org/grpc" ] || die "grpc-go sources missing under $SYS_GOPATH (apt-get install golang-google-grpc-dev)"

mkdir -p "$GP/src/drain"
ln -sfn "$HERE/client" "$GP/src/drain/client"

# Stubs (package drain/drainpb), only replaced when their content changes.
GEN=$OUT/gen.tmp
rm -rf "$GEN" && mkdir -p "$GEN"
protoc -I"$PROTO_DIR" --go_out="plugins=grpc,paths=source_relative,Mdrainsvc.proto=drain/drainpb:$GEN" \
    drainsvc.proto || die "protoc failed on $PROTO_DIR/drainsvc.proto"
mkdir -p "$GP/src/drain/drainpb"
dst=$GP/src/drain/drainpb/drainsvc.pb.go
cmp -s "$GEN/drainsvc.pb.go" "$dst" || cp "$GEN/drainsvc.pb.go" "$dst"
rm -rf "$GEN"

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
go build -o "$OUT/drain_client" drain/client || die "go build drain/client failed"
echo "built $OUT/drain_client"
