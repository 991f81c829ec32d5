#!/bin/sh
# A working gRPC plugin that answers Controller.Shutdown but never exits.
exec /usr/bin/python3 "$(dirname "$0")/../plugins/py_plugin.py" --ignore-shutdown "$@"
