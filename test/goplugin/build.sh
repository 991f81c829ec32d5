#!/bin/bash
# Builds the go-plugin test programs offline into OUTDIR:
#   OUTDIR/goplugin_host       go-plugin 1.0.1 host that drives a KV plugin (host/)
#   OUTDIR/goplugin_kv_plugin  the KV plugin written in Go with go-plugin 1.0.1 (plugin/)
#
# Usage: test/goplugin/build.sh OUTDIR
#
# GOPATH mode, no network: a private GOPATH under OUTDIR/gopath links our sources in
# as packages "goplugin/...", Go stubs for proto/kv/kv.proto are generated into it as
# package "goplugin/kvpb", and /usr/share/gocode supplies go-plugin and its
# dependencies. Idempotent; the Go build cache lives in OUTDIR/gocache.
# Needs (Debian 12): golang-go, golang-github-hashicorp-go-plugin-dev (pulls in
# go-hclog, yamux, oklog/run, go-testing-interface), golang-google-grpc-dev,
# golang-github-golang-protobuf-1-3-dev, protobuf-compiler, protoc-gen-go-1-3
# (protoc-gen-go with plugins=grpc).
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PROTO_DIR=$REPO/proto
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

for tool in go protoc protoc-gen-go; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install golang-go protobuf-compiler protoc-gen-go-1-3)"
done
for pkg in github.com/hashicorp/go-plugin:golang-github-hashicorp-go-plugin-dev \
           google.golang.org/grpc:golang-google-grpc-dev \
           github.com/golang/protobuf/proto:golang-github-golang-protobuf-1-3-dev; do
    [ -d "$SYS_GOPATH/src/${pkg%%:*}" ] || die "${pkg%%:*} missing under $SYS_GOPATH (apt-get install ${pkg##*:})"
done
[ -f "$PROTO_DIR/kv/kv.proto" ] || die "missing $PROTO_DIR/kv/kv.proto"

# Our packages, linked into the private GOPATH.
mkdir -p "$GP/src/goplugin"
for pkg in host plugin kvplugin; do
    ln -sfn "$HERE/$pkg" "$GP/src/goplugin/$pkg"
done

# Generated stubs for kv.proto (package goplugin/kvpb). Only replaced when changed.
GEN=$OUT/gen.tmp
rm -rf "$GEN" && mkdir -p "$GEN"
protoc -I"$PROTO_DIR" --go_out="plugins=grpc,paths=source_relative,Mkv/kv.proto=goplugin/kvpb:$GEN" \
    kv/kv.proto || die "protoc failed on $PROTO_DIR/kv/kv.proto"
mkdir -p "$GP/src/goplugin/kvpb"
dst=$GP/src/goplugin/kvpb/kv.pb.go
cmp -s "$GEN/kv/kv.pb.go" "$dst" || cp "$GEN/kv/kv.pb.go" "$dst"
rm -rf "$GEN"

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
go build -o "$OUT/goplugin_host" goplugin/host || die "go build goplugin/host failed"
go build -o "$OUT/goplugin_kv_plugin" goplugin/plugin || die "go build goplugin/plugin failed"
echo "built $OUT/goplugin_host $OUT/goplugin_kv_plugin"
