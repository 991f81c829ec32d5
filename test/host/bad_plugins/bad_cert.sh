#!/bin/sh
# Field 6 is valid unpadded base64 (72 characters) of bytes that are no DER certificate.
[ -n "$PID_FILE" ] && echo $$ > "$PID_FILE"
echo "1|1|unix|/nonexistent/plugin.sock|grpc|VGhpcyBpcyBub3QgYSBjZXJ0aWZpY2F0ZSwganVzdCBzb21lIHRleHQgaW4gYmFzZTY0Lg"
exec sleep 60
