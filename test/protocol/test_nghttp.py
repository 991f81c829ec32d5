#!/usr/bin/python3
"""Plain HTTP/2 requests from nghttp get HTTP answers with a text body.

    test_nghttp.py --server rpcplugin-interop-server [--nghttp nghttp]

`nghttp -v` against a fresh server on a free loopback port: GET / without content-type
and a POST with content-type text/plain get 415 and a non-empty text/plain body; a GET
with content-type application/grpc gets 405. After each case the server must be alive and
answer a UnaryCall on a new connection.
"""
import os
import re
import subprocess

from protolib import Server, Suite, parse_args, run_main


def nghttp(exe, url, *opts):
    """Runs `nghttp -v`; returns (status, content-type, DATA bytes, body text)."""
    p = subprocess.run([exe, "-v", "-t", "5", *opts, url], capture_output=True, text=True,
                       timeout=15)
    out = p.stdout
    assert p.returncode == 0, "nghttp exit %d: %s%s" % (p.returncode, out[-800:], p.stderr)
    status = re.search(r"recv \(stream_id=\d+\) :status: (\d+)", out)
    ctype = re.search(r"recv \(stream_id=\d+\) content-type: (.*)", out)
    data = sum(int(n) for n in re.findall(r"recv DATA frame <length=(\d+)", out))
    body = "\n".join(line for line in out.splitlines()
                     if line and not line.startswith("[") and not line[0].isspace())
    return (int(status.group(1)) if status else None, ctype.group(1) if ctype else None,
            data, body)


def expect(result, status, body_part):
    got, ctype, data, body = result
    assert got == status, "expected :status %d, got %r" % (status, got)
    assert ctype and ctype.startswith("text/plain"), "content-type %r" % ctype
    assert data > 0 and body.strip(), "empty body"
    assert body_part in body, "body %r lacks %r" % (body, body_part)


def main():
    args = parse_args(("--nghttp", {"default": "nghttp"}))
    with Server(args.server, "tcp") as srv:
        t = Suite(srv)
        url = "http://127.0.0.1:%d/" % srv.port
        text = os.path.join(srv.dir, "body.txt")
        with open(text, "w") as f:
            f.write("hello\n")
        t.case("get_no_content_type_415",
               lambda: expect(nghttp(args.nghttp, url), 415, "content-type"))
        t.case("post_text_plain_415",
               lambda: expect(nghttp(args.nghttp, url + "grpc.testing.TestService/UnaryCall",
                                     "-H", "content-type: text/plain", "-d", text),
                              415, "text/plain"))
        t.case("get_application_grpc_405",
               lambda: expect(nghttp(args.nghttp, url + "grpc.testing.TestService/UnaryCall",
                                     "-H", "content-type: application/grpc"), 405, "POST"))
        return t.finish()


if __name__ == "__main__":
    run_main(main)
