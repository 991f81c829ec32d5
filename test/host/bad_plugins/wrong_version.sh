#!/bin/sh
# Announces app protocol version 7, which the host did not offer.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "1|7|unix|/nonexistent/plugin.sock|grpc|"
exec sleep 60
