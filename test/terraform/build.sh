#!/bin/bash
# Builds the Go side of the Terraform tests offline into OUTDIR:
#   OUTDIR/ctycheck   go-cty's half of the codec cross-checks (ctycheck/)
#
# Usage: test/terraform/build.sh OUTDIR
#
# GOPATH mode, no network: a private GOPATH under OUTDIR/gopath links our sources in as
# packages "tfcheck/...", and /usr/share/gocode supplies go-cty 1.12.1 and its
# dependencies. Idempotent; the Go build cache lives in OUTDIR/gocache.
# Needs (Debian 12): golang-go, golang-github-zclconf-go-cty-dev (cty, cty/msgpack,
# cty/json), golang-gopkg-vmihailenco-msgpack.v2-dev (msgpack v4, which cty imports),
# golang-github-vmihailenco-tagparser-dev, golang-github-apparentlymart-go-textseg-dev,
# golang-golang-x-text-dev.
set -euo pipefail

die() { echo "build.sh: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SYS_GOPATH=/usr/share/gocode

mkdir -p "$1" || die "cannot create $1"
OUT=$(cd "$1" && pwd)
GP=$OUT/gopath

command -v go >/dev/null || die "'go' not found (apt-get install golang-go)"
for pkg in github.com/zclconf/go-cty/cty:golang-github-zclconf-go-cty-dev \
           github.com/vmihailenco/msgpack:golang-gopkg-vmihailenco-msgpack.v2-dev \
           github.com/vmihailenco/tagparser:golang-github-vmihailenco-tagparser-dev \
           github.com/apparentlymart/go-textseg:golang-github-apparentlymart-go-textseg-dev \
           golang.org/x/text:golang-golang-x-text-dev; do
    [ -d "$SYS_GOPATH/src/${pkg%%:*}" ] || die "${pkg%%:*} missing under $SYS_GOPATH (apt-get install ${pkg##*:})"
done

mkdir -p "$GP/src/tfcheck"
ln -sfn "$HERE/ctycheck" "$GP/src/tfcheck/ctycheck"

export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$GP:$SYS_GOPATH
export GOCACHE=$OUT/gocache
go build -o "$OUT/ctycheck" tfcheck/ctycheck || die "go build tfcheck/ctycheck failed"
echo "built $OUT/ctycheck"
