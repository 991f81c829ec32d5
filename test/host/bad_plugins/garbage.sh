#!/bin/sh
# Prints a banner instead of the handshake line, then keeps running.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "Hello! I am not a plugin."
exec sleep 60
