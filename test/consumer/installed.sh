#!/usr/bin/env bash
# Builds and runs the greeter example (greeter_test.cpp, proto/) against an installed
# rpcplugin, the way a project outside meson does:
#
#   test/consumer/installed.sh cmake|pkgconfig MESON_BUILD_DIR WORK_DIR
#
# Installs MESON_BUILD_DIR (already built) with `meson install --destdir WORK_DIR/root`,
# then builds cmake/CMakeLists.txt (find_package(rpcplugin CONFIG), rpcplugin_generate)
# or pkgconfig/Makefile (pkg-config rpcplugin) against that copy, checks that it was the
# copy that was found, and runs the program. WORK_DIR is wiped first.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 3 ] || { echo "usage: $0 cmake|pkgconfig MESON_BUILD_DIR WORK_DIR" >&2; exit 2; }
way=$1
build=$(cd "$2" && pwd)
work=$3
case "$way" in cmake | pkgconfig) ;; *) echo "$0: unknown way: $way" >&2; exit 2 ;; esac
# meson test points LD_LIBRARY_PATH at the build tree's libraries; a program built against
# the installed copy must find that copy by itself (its RUNPATH), as it would elsewhere.
unset LD_LIBRARY_PATH

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

meson install -C "$build" --no-rebuild --quiet --destdir "$work/root"
read -r prefix libdir < <(meson introspect "$build" --buildoptions | /usr/bin/python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libdir"])')
prefix=$work/root$prefix
case "$libdir" in /*) libdir=$work/root$libdir ;; *) libdir=$prefix/$libdir ;; esac
echo "installed into $prefix"

launcher=()
command -v ccache >/dev/null && launcher=(ccache)

run_greeter() { # EXE
    # The program must use the installed library, not one from the build tree or /usr.
    local lib
    lib=$(ldd "$1" | awk '/librpcplugin/ {print $3}')
    if [[ "$lib" != "$libdir"/* ]]; then
        echo "FAIL: $1 loads librpcplugin from '${lib}', not from $libdir" >&2
        exit 1
    fi
    "$1"
}

if [ "$way" = cmake ]; then
    args=(-S "$here/cmake" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
          "-DCMAKE_PREFIX_PATH=$prefix")
    [ ${#launcher[@]} -gt 0 ] && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake "${args[@]}"
    found=$(sed -n 's/^rpcplugin_DIR:PATH=//p' "$work/build/CMakeCache.txt")
    if [[ "$found" != "$prefix"/* ]]; then
        echo "FAIL: CMake found rpcplugin in '$found', not under $prefix" >&2
        exit 1
    fi
    cmake --build "$work/build"
    run_greeter "$work/build/greeter_test"
else
    export PKG_CONFIG_PATH=$libdir/pkgconfig
    # The .pc file names the configured prefix; a copy installed elsewhere (here: with
    # --destdir) is found by redefining it, the usual pkg-config way.
    pc="pkg-config --define-variable=prefix=$prefix"
    echo "$pc --cflags --libs rpcplugin: $($pc --cflags --libs rpcplugin)"
    make -C "$here/pkgconfig" OUT="$work/build" PKG_CONFIG="$pc" \
        CXX="${launcher[*]:+${launcher[*]} }g++"
    run_greeter "$work/build/greeter_test"
fi
