#!/bin/bash
# Builds the go-plugin test programs offline into OUTDIR:
#   OUTDIR/goplugin_host       go-plugin 1.0.1 host that drives a KV plugin (host/)
#   OUTDIR/goplugin_kv_plugin  the KV plugin written in Go with go-plugin 1.0.1 (plugin/)
#
# Usage: test/goplugin/build.sh OUTDIR
#
# tools/go-build links our sources in as packages "goplugin/...", generates the Go stubs
# of proto/kv/kv.proto as package "goplugin/kvpb", and takes go-plugin and its
# dependencies from Debian's /usr/share/gocode.
# Needs (Debian 12): golang-go, golang-github-hashicorp-go-plugin-dev (pulls in
# go-hclog, yamux, oklog/run, go-testing-interface), golang-google-grpc-dev,
# golang-github-golang-protobuf-1-3-dev, protobuf-compiler, protoc-gen-go-1-3
# (protoc-gen-go with plugins=grpc).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
exec "$REPO/tools/go-build" "$1" \
    --need github.com/hashicorp/go-plugin:golang-github-hashicorp-go-plugin-dev \
    --need google.golang.org/grpc:golang-google-grpc-dev \
    --need github.com/golang/protobuf/proto:golang-github-golang-protobuf-1-3-dev \
    --link goplugin/host="$HERE/host" \
    --link goplugin/plugin="$HERE/plugin" \
    --link goplugin/kvplugin="$HERE/kvplugin" \
    --proto-path "$REPO/proto" \
    --stubs goplugin/kvpb=kv/kv.proto \
    --build goplugin/host=goplugin_host \
    --build goplugin/plugin=goplugin_kv_plugin
