#!/bin/sh
# Core protocol version 2 (go-plugin speaks 1).
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "2|1|unix|/nonexistent/plugin.sock|grpc|"
exec sleep 60
