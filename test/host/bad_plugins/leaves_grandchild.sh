#!/bin/sh
# Starts a background process that keeps the plugin's stdout and stderr open, then exits
# before the handshake. The host must not wait for the grandchild's end of the pipes.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
sleep 5 &
[ -n "$PID_FILE" ] && echo $! > "$PID_FILE.grandchild"
echo "[ERROR] giving up, but my child lives on" >&2
exit 4
