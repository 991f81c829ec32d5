"""Locate or generate the grpc.testing Python stubs and import them.

protoc emits the modules as grpc/testing/*_pb2.py (the proto package is
grpc.testing), which collides with the installed `grpc` package.  We therefore
add <stubs>/grpc to grpc.__path__ so `grpc.testing` resolves to the generated
code as a namespace sub-package.
"""
import atexit
import os
import shutil
import subprocess
import tempfile
import types

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "proto"))
PROTOS = ["grpc/testing/empty.proto", "grpc/testing/messages.proto",
          "grpc/testing/test.proto"]


def generate(out_dir):
    """Run protoc + grpc_python_plugin for the three protos into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    subprocess.run(["protoc", "-I" + PROTO_DIR, "--python_out=" + out_dir,
                    "--grpc_python_out=" + out_dir,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    *PROTOS], check=True)


def load(stubs_dir=None):
    """Return a namespace with empty_pb2, messages_pb2 and test_pb2_grpc.

    Stubs are generated into stubs_dir if missing there; with no stubs_dir a
    temporary directory is used and removed at exit.
    """
    if stubs_dir is None:
        stubs_dir = tempfile.mkdtemp(prefix="interop-stubs-")
        atexit.register(shutil.rmtree, stubs_dir, True)
    stubs_dir = os.path.abspath(stubs_dir)
    if not os.path.exists(os.path.join(stubs_dir, "grpc", "testing", "test_pb2_grpc.py")):
        generate(stubs_dir)
    grpc.__path__.append(os.path.join(stubs_dir, "grpc"))
    from grpc.testing import empty_pb2, messages_pb2, test_pb2_grpc
    return types.SimpleNamespace(empty_pb2=empty_pb2, messages_pb2=messages_pb2,
                                 test_pb2_grpc=test_pb2_grpc)
