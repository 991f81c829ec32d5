#!/usr/bin/python3
"""Codec cross-checks of rpcplugin::terraform against go-cty and python3-msgpack.

1. ctycheck -gen: go-cty 1.12.1 writes test vectors (every type, nulls, unknowns, nested
   dynamic values, big and float numbers, sets, random nested values).
2. terraform-crosscheck: C++ decodes each and re-encodes it (msgpack, JSON, type JSON) to
   identical bytes; it also writes values built through its own API.
3. ctycheck -check: go-cty decodes everything C++ wrote and re-encodes it identically.
4. python3-msgpack reads every msgpack value C++ wrote (unpack and re-pack to the same
   bytes), and a few C++-built values are checked field by field.
"""
import argparse
import subprocess
import sys
import tempfile

import msgpack


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited with {p.returncode}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctycheck", required=True)
    ap.add_argument("--crosscheck", required=True)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        vectors, cpp = f"{tmp}/vectors.txt", f"{tmp}/cpp.txt"
        run([args.ctycheck, "-gen", vectors])
        run([args.crosscheck, vectors, cpp])
        run([args.ctycheck, "-check", cpp])

        values = {}
        n = 0
        with open(cpp) as f:
            for line in f:
                name, _type_json, mp, _js = line.rstrip("\n").split("\t")
                raw = bytes.fromhex(mp)
                obj = msgpack.unpackb(raw, raw=False, strict_map_key=False)
                again = msgpack.packb(obj, use_bin_type=True)
                if again != raw:
                    sys.exit(f"FAIL {name}: python3-msgpack re-packs {raw.hex()} as {again.hex()}")
                values[name] = obj
                n += 1

    unknown = msgpack.ExtType(0, b"\x00")
    expect = {
        "cpp-set-strings": ["", "Zebra", "apple", "pear", unknown],
        "cpp-set-numbers": [-1, 9.5, 10, 100],
        "cpp-numbers": [0, 0, 1000, "0.1", 2.5, -129, 9223372036854775807, 9223372036854775808.0,
                        18446744073709551616.0, "0.000000000000000000000000000001", "12345.6", 0.1],
        "cpp-dynamic-null-string": [b'"string"', None],
        "cpp-unknowns": {"attrs": unknown, "name": unknown, "rules": unknown, "tags": unknown},
    }
    for name, want in expect.items():
        if values.get(name) != want:
            sys.exit(f"FAIL {name}: python3-msgpack reads {values.get(name)!r}, want {want!r}")
    obj = values["cpp-object-dynamic"]
    if list(obj) != ["attrs", "name", "rules", "tags"]:
        sys.exit(f"FAIL cpp-object-dynamic: keys {list(obj)}")
    if obj["attrs"][0] != b'["tuple",["string","number",["object",{"x":"bool"}]]]':
        sys.exit(f"FAIL cpp-object-dynamic: dynamic type {obj['attrs'][0]!r}")
    if obj["attrs"][1] != ["a", 2, {"x": True}] or obj["tags"] != {"a": "2", "z": "1"}:
        sys.exit(f"FAIL cpp-object-dynamic: {obj!r}")
    print(f"python3-msgpack: {n} C++ msgpack values read and re-packed identically; "
          f"{len(expect) + 1} checked field by field")


if __name__ == "__main__":
    main()
