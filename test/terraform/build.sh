#!/bin/bash
# Builds the Go side of the Terraform tests offline into OUTDIR:
#   OUTDIR/ctycheck   go-cty's half of the codec cross-checks (ctycheck/)
#   OUTDIR/tfclient   the Terraform-protocol test client (tfclient/): go-plugin 1.0.1,
#                     grpc-go 1.33 and go-cty 1.12.1 driving a provider as Terraform does
#
# Usage: test/terraform/build.sh OUTDIR
#
# tools/go-build links our sources in as packages "tfcheck/...", and takes go-cty 1.12.1,
# go-plugin 1.0.1, grpc-go and their dependencies from Debian's /usr/share/gocode.
#
# Go message types for proto/tfplugin{5,6} are generated at build time (packages
# tfcheck/tfplugin5 and tfcheck/tfplugin6). The protos use proto3 `optional`, which the
# 1.3 generator (/usr/bin/protoc-gen-go from protoc-gen-go-1-3) refuses, so the APIv2
# protoc-gen-go is built from Debian's source tree (golang-google-protobuf-dev,
# google.golang.org/protobuf/cmd/protoc-gen-go) and handed to protoc.
# Needs (Debian 12): golang-go, golang-github-zclconf-go-cty-dev (cty, cty/msgpack,
# cty/json), golang-gopkg-vmihailenco-msgpack.v2-dev (msgpack v4, which cty imports),
# golang-github-vmihailenco-tagparser-dev, golang-github-apparentlymart-go-textseg-dev,
# golang-golang-x-text-dev, golang-github-hashicorp-go-plugin-dev (go-hclog, yamux,
# oklog/run), golang-google-grpc-dev, golang-google-protobuf-dev,
# golang-github-golang-protobuf-1-3-dev, protobuf-compiler, libprotobuf-dev
# (google/protobuf/timestamp.proto).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
exec "$REPO/tools/go-build" "$1" \
    --need github.com/zclconf/go-cty/cty:golang-github-zclconf-go-cty-dev \
    --need github.com/vmihailenco/msgpack:golang-gopkg-vmihailenco-msgpack.v2-dev \
    --need github.com/vmihailenco/tagparser:golang-github-vmihailenco-tagparser-dev \
    --need github.com/apparentlymart/go-textseg:golang-github-apparentlymart-go-textseg-dev \
    --need golang.org/x/text:golang-golang-x-text-dev \
    --need github.com/hashicorp/go-plugin:golang-github-hashicorp-go-plugin-dev \
    --need github.com/hashicorp/go-hclog:golang-github-hashicorp-go-hclog-dev \
    --need google.golang.org/grpc:golang-google-grpc-dev \
    --need google.golang.org/protobuf/cmd/protoc-gen-go:golang-google-protobuf-dev \
    --need github.com/golang/protobuf/proto:golang-github-golang-protobuf-1-3-dev \
    --link tfcheck/ctycheck="$HERE/ctycheck" \
    --link tfcheck/tfclient="$HERE/tfclient" \
    --protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go \
    --proto-path "$REPO/proto" \
    --stubs tfcheck/tfplugin5=tfplugin5/tfplugin5.proto \
    --stubs tfcheck/tfplugin6=tfplugin6/tfplugin6.proto \
    --build tfcheck/ctycheck=ctycheck \
    --build tfcheck/tfclient=tfclient
