#!/bin/sh
# Never prints its handshake line.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "[DEBUG] thinking..." >&2
exec sleep 60
