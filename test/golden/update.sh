#!/usr/bin/env bash
# Rebuilds protoc-gen-rpcplugin and rewrites the golden files from its output:
#
#   test/golden/update.sh [BUILD_DIR]      (default: build)
#
# Review the result with `git diff test/golden/expected` before committing.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
ninja -C "$build" tools/protoc-gen-rpcplugin >/dev/null
exec "$root/test/golden/check.sh" --update "$build/tools/protoc-gen-rpcplugin"
