#!/bin/bash
# Builds the Go side of the Terraform tests offline into OUTDIR:
#   OUTDIR/ctycheck   go-cty's half of the codec cross-checks (ctycheck/)
#   OUTDIR/tfclient   the Terraform-protocol test client (tfclient/): go-plugin 1.0.1,
#                     grpc-go 1.33 and go-cty 1.12.1 driving a provider as Terraform does
#
# Usage: test/terraform/build.sh OUTDIR
#
# GOPATH mode, no network: a private GOPATH under OUTDIR/gopath links our sources in as
# packages "tfcheck/...", and /usr/share/gocode supplies go-cty 1.12.1, go-plugin 1.0.1,
# grpc-go and their dependencies. Idempotent; the Go build cache lives in OUTDIR/gocache.
#
# Go message types for proto/tfplugin{5,6} are generated at build time (packages
# tfcheck/tfplugin5 and tfcheck/tfplugin6). The protos use proto3 `optional`, which the
# 1.3 generator (/usr/bin/protoc-gen-go from protoc-gen-go-1-3) refuses, so the APIv2
# protoc-gen-go is built here from Debian's source tree (golang-google-protobuf-dev,
# google.golang.org/protobuf/cmd/protoc-gen-go) and handed to protoc with --plugin.
# Needs (Debian 12): golang-go, golang-github-zclconf-go-cty-dev (cty, cty/msgpack,
# cty/json), golang-gopkg-vmihailenco-msgpack.v2-dev (msgpack v4, which cty imports),
# golang-github-vmihailenco-tagparser-dev, golang-github-apparentlymart-go-textseg-dev,
# golang-golang-x-text-dev, golang-github-hashicorp-go-plugin-dev (go-hclog, yamux,
# oklog/run), golang-google-grpc-dev, golang-google-protobuf-dev,
# golang-github-golang-protobuf-1-3-dev, protobuf-compiler, libprotobuf-dev
# (google/protobuf/timestamp.proto).
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROTO_DIR=$(cd "$HERE/../../proto" && pwd)
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

command -v go >/dev/null || die "'go' not found (apt-get install golang-go)"
command -v protoc >/dev/null || die "'protoc' not found (apt-get install protobuf-compiler)"
for pkg in github.com/zclconf/go-cty/cty:golang-github-zclconf-go-cty-dev \
           github.com/vmihailenco/msgpack:golang-gopkg-vmihailenco-msgpack.v2-dev \
           github.com/vmihailenco/tagparser:golang-github-vmihailenco-tagparser-dev \
           github.com/apparentlymart/go-textseg:golang-github-apparentlymart-go-textseg-dev \
           golang.org/x/text:golang-golang-x-text-dev \
           github.com/hashicorp/go-plugin:golang-github-hashicorp-go-plugin-dev \
           github.com/hashicorp/go-hclog:golang-github-hashicorp-go-hclog-dev \
           google.golang.org/grpc:golang-google-grpc-dev \
           google.golang.org/protobuf/cmd/protoc-gen-go:golang-google-protobuf-dev \
           github.com/golang/protobuf/proto:golang-github-golang-protobuf-1-3-dev; do
    [ -d "$SYS_GOPATH/src/${pkg%%:*}" ] || die "${pkg%%:*} missing under $SYS_GOPATH (apt-get install ${pkg##*:})"
done

mkdir -p "$GP/src/tfcheck"
for pkg in ctycheck tfclient; do
    ln -sfn "$HERE/$pkg" "$GP/src/tfcheck/$pkg"
done

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
go build -o "$OUT/ctycheck" tfcheck/ctycheck || die "go build tfcheck/ctycheck failed"

# The APIv2 generator, then the message types of both protocols. Files are only replaced
# when they change, so the Go build cache keeps hitting.
go build -o "$OUT/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go ||
    die "go build protoc-gen-go failed"
GEN=$OUT/gen.tmp
rm -rf "$GEN" && mkdir -p "$GEN"
for v in 5 6; do
    protoc -I"$PROTO_DIR" --plugin=protoc-gen-go="$OUT/protoc-gen-go" \
        --go_out="paths=source_relative,Mtfplugin$v/tfplugin$v.proto=tfcheck/tfplugin$v:$GEN" \
        "tfplugin$v/tfplugin$v.proto" || die "protoc failed on tfplugin$v/tfplugin$v.proto"
    mkdir -p "$GP/src/tfcheck/tfplugin$v"
    dst=$GP/src/tfcheck/tfplugin$v/tfplugin$v.pb.go
    cmp -s "$GEN/tfplugin$v/tfplugin$v.pb.go" "$dst" || cp "$GEN/tfplugin$v/tfplugin$v.pb.go" "$dst"
done
rm -rf "$GEN"
go build -o "$OUT/tfclient" tfcheck/tfclient || die "go build tfcheck/tfclient failed"
echo "built $OUT/ctycheck $OUT/tfclient"
