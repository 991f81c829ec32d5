#!/bin/sh
# A net/rpc plugin (Go-only protocol): the gRPC host refuses it.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "1|1|unix|/nonexistent/plugin.sock|netrpc|"
exec sleep 60
