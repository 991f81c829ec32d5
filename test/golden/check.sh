#!/usr/bin/env bash
# Golden test of protoc-gen-rpcplugin: runs protoc with the plugin on proto/golden/*.proto
# and diffs what it writes against expected/<case>/, file by file.
#
#   check.sh PLUGIN              compare (exit 1 and a unified diff on any difference)
#   check.sh --update PLUGIN     rewrite expected/ from the plugin's output
#
# PLUGIN is the built protoc-gen-rpcplugin (meson passes it); PROTOC defaults to `protoc`.
# After changing the generator, run test/golden/update.sh and review `git diff`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
update=false
if [ "${1:-}" = "--update" ]; then
    update=true
    shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--update] PROTOC_GEN_RPCPLUGIN" >&2; exit 2; }
plugin=$(realpath "$1")
protoc=${PROTOC:-protoc}

# Each case: name, plugin options, protos (relative to proto/).
cases=(
    "default||golden/common.proto golden/every_kind.proto golden/keywords.proto golden/no_package.proto"
    "server_only|client=false|golden/every_kind.proto"
    "client_only|server=false|golden/every_kind.proto"
)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for c in "${cases[@]}"; do
    IFS='|' read -r name opts protos <<<"$c"
    mkdir -p "$out/$name"
    # shellcheck disable=SC2086
    (cd "$here/proto" && "$protoc" --proto_path=. --plugin=protoc-gen-rpcplugin="$plugin" \
        --rpcplugin_out="${opts:+$opts:}$out/$name" $protos)
    if $update; then
        rm -rf "${here:?}/expected/$name"
        mkdir -p "$here/expected"
        cp -r "$out/$name" "$here/expected/$name"
        echo "updated expected/$name"
    elif ! diff -ruN "$here/expected/$name" "$out/$name"; then
        echo "golden case '$name' differs from test/golden/expected/$name" \
             "(if intended: test/golden/update.sh, then review git diff)" >&2
        status=1
    fi
done
$update || [ $status -ne 0 ] || echo "golden: ${#cases[@]} cases match"
exit $status
