#!/bin/bash
# Builds the grpc-go baseline offline: OUTDIR/go-echo-server.
#
# Usage: bench/baselines/go/build.sh OUTDIR
#
# GOPATH mode with Debian's Go packages (no module proxy, no network), as
# test/interop/go/build.sh does: a private GOPATH under OUTDIR/gopath links the server in
# as package "benchgo/server", Go stubs for bench/proto/bench/echo.proto are generated
# into it as "benchgo/benchpb", and /usr/share/gocode supplies grpc-go 1.33.
# Needs: golang-go, golang-google-grpc-dev, protoc-gen-go (plugins=grpc), protobuf-compiler.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROTO_DIR=$(cd "$HERE/../../proto" && pwd)
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

for tool in go protoc protoc-gen-go; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install golang-go protobuf-compiler golang-goprotobuf-dev)"
done
[ -d "$SYS_GOPATH/src/google.golang.org/grpc" ] || die "grpc-go missing under $SYS_GOPATH (apt-get install golang-google-grpc-dev)"

mkdir -p "$GP/src/benchgo"
ln -sfn "$HERE/server" "$GP/src/benchgo/server"

GEN=$OUT/gen.tmp
rm -rf "$GEN" && mkdir -p "$GEN"
protoc -I"$PROTO_DIR" --go_out="plugins=grpc,paths=source_relative,Mbench/echo.proto=benchgo/benchpb:$GEN" \
    bench/echo.proto || die "protoc failed"
mkdir -p "$GP/src/benchgo/benchpb"
dst=$GP/src/benchgo/benchpb/echo.pb.go
cmp -s "$GEN/bench/echo.pb.go" "$dst" || cp "$GEN/bench/echo.pb.go" "$dst"
rm -rf "$GEN"

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
go build -o "$OUT/go-echo-server" benchgo/server || die "go build failed"
echo "built $OUT/go-echo-server"
