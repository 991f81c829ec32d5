#!/bin/sh
# Exits before the handshake, saying why on stderr (like a plugin that cannot start).
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "[INFO] starting the plugin" >&2
echo "[ERROR] cannot open the database /nonexistent/db: no such file or directory" >&2
exit 3
