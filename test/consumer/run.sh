#!/usr/bin/env bash
# Builds and tests the consumer example (test/consumer) in BUILD_DIR from scratch, offline:
#
#   test/consumer/run.sh BUILD_DIR
#
# rpcplugin comes from subprojects/rpcplugin, a symlink to this repository, so the build
# uses the working tree as it is. BUILD_DIR is wiped first if it is an earlier build dir.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$1

if [ -e "$build" ]; then
    if [ -d "$build/meson-info" ] || [ -z "$(ls -A "$build")" ]; then
        rm -rf "$build"
    else
        echo "$0: $build exists and is not a meson build dir; not touching it" >&2
        exit 2
    fi
fi

# --force-fallback-for: use the subproject even if an rpcplugin is installed on the system.
meson setup "$build" "$here" --wrap-mode=nodownload --force-fallback-for=rpcplugin
ninja -C "$build" greeter_test # only what the test needs, not every target of rpcplugin
meson test -C "$build" --no-rebuild --print-errorlogs
