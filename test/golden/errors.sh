#!/usr/bin/env bash
# protoc-gen-rpcplugin rejects bad options and unusable protos with a clear message: for each
# case, protoc must fail and print the expected text; the good cases must succeed.
#
#   errors.sh PLUGIN        (PROTOC defaults to `protoc`)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 PROTOC_GEN_RPCPLUGIN" >&2; exit 2; }
plugin=$(realpath "$1")
protoc=${PROTOC:-protoc}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$here/proto"

# Each case: protoc output flags | proto | expected stderr ("" = must succeed).
cases=(
    "--rpcplugin_out=bogus=1:OUT|golden/no_package.proto|--rpcplugin_out: unknown option \"bogus\" (known options: client=true|false, server=true|false)"
    "--rpcplugin_opt=bogus --rpcplugin_out=OUT|golden/no_package.proto|unknown option \"bogus\""
    "--rpcplugin_out=server=maybe:OUT|golden/no_package.proto|option \"server=maybe\" is malformed: write server=true or server=false"
    "--rpcplugin_out=client:OUT|golden/no_package.proto|option \"client\" is malformed"
    "--rpcplugin_out=server=true,server=false:OUT|golden/no_package.proto|option \"server\" is given twice"
    "--rpcplugin_out=server=true,:OUT|golden/no_package.proto|empty option in \"server=true,\""
    "--rpcplugin_out=OUT|bad/keyword_package.proto|package \"kw.namespace\": \"namespace\" is a C++ keyword"
    "--rpcplugin_out=OUT|bad/reserved_method.proto|method bad.S.Stub: the C++ name \"Stub\" is already used"
    "--rpcplugin_out=OUT|golden/every_kind.proto|"
    "--rpcplugin_out=client=false,server=true:OUT|golden/every_kind.proto|"
    "--rpcplugin_opt=server=false --rpcplugin_out=OUT|golden/every_kind.proto|"
)

failed=0
for c in "${cases[@]}"; do
    flags=${c%%|*}
    rest=${c#*|}
    proto=${rest%%|*}
    expected=${rest#*|}
    # shellcheck disable=SC2086
    set -- ${flags//OUT/$out}
    if stderr=$("$protoc" --proto_path=. --plugin=protoc-gen-rpcplugin="$plugin" "$@" "$proto" 2>&1); then
        rc=0
    else
        rc=$?
    fi
    if [ -z "$expected" ]; then
        if [ $rc -ne 0 ]; then
            echo "FAIL: $flags $proto: expected success, got exit $rc: $stderr" >&2
            failed=$((failed + 1))
        fi
    elif [ $rc -eq 0 ]; then
        echo "FAIL: $flags $proto: expected an error, protoc succeeded" >&2
        failed=$((failed + 1))
    elif [[ "$stderr" != *"$expected"* ]]; then
        printf 'FAIL: %s %s: expected message\n  %s\ngot\n  %s\n' "$flags" "$proto" "$expected" "$stderr" >&2
        failed=$((failed + 1))
    fi
done
echo "errors: ${#cases[@]} cases, $failed failed"
[ $failed -eq 0 ]
