#!/usr/bin/python3
"""Malformed and abusive HTTP/2 / gRPC requests get their precise reaction.

    test_malformed.py --server rpcplugin-interop-server

Raw HTTP/2 (python3-h2 with header validation off) against a fresh server on a Unix
socket: malformed requests are reset with PROTOCOL_ERROR by nghttp2's HTTP messaging
checks, limits give RESOURCE_EXHAUSTED, unknown methods and encodings UNIMPLEMENTED.
After each case the server must be alive and answer a UnaryCall on a new connection.
"""

from protolib import (H2, Server, Suite, grpc_frame, grpc_headers, parse_args, run_main,
                      simple_request)

NO_ERROR, PROTOCOL_ERROR = 0, 1
RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 8, 12, 13


def one(server, headers, body=None, end_stream=True):
    with H2(server) as c:
        sid = c.request(headers, body, end_stream)
        return c.wait(sid)


def expect_reset(r, code=PROTOCOL_ERROR):
    assert r.reset == code, "expected RST_STREAM(%d), got %r" % (code, r)
    assert r.headers is None, "response headers before the reset: %r" % r


def expect_status(r, code, message_part=None):
    # A server that answers before the client half-closed may add RST_STREAM(NO_ERROR).
    assert r.reset is None or (r.reset == NO_ERROR and r.reset_after_end), \
        "stream reset with %r: %r" % (r.reset, r)
    assert r.trailers_only, "expected a Trailers-Only answer: %r" % r
    assert dict(r.headers).get(":status") == "200", r
    assert r.status == code, "grpc-status %r (%r), expected %d" % (r.status, r.message, code)
    if message_part is not None:
        assert r.message and message_part in r.message, \
            "grpc-message %r lacks %r" % (r.message, message_part)


def main():
    args = parse_args()
    with Server(args.server, "unix") as srv:
        t = Suite(srv)
        body = grpc_frame(simple_request(4))

        def missing_path():
            h = [x for x in grpc_headers() if x[0] != ":path"]
            expect_reset(one(srv, h, body))

        def bad_content_length():
            expect_reset(one(srv, grpc_headers(extra=[("content-length", "10")]), b"abc"))

        def upper_case_name():
            expect_reset(one(srv, grpc_headers(extra=[("X-Custom", "v")]), body))

        def oversized_header_list():
            pad = [("x-pad-%02d" % i, "p" * 1024) for i in range(20)]  # ~21 KiB > 16 KiB
            expect_status(one(srv, grpc_headers(extra=pad), body), RESOURCE_EXHAUSTED,
                          "header list")

        def message_over_limit():
            with H2(srv) as c:
                sid = c.request(grpc_headers(), None, end_stream=False)
                # Declares 5 MiB, sends 3 bytes of it, never half-closes.
                c.send_data(sid, b"\0" + (5 << 20).to_bytes(4, "big") + b"abc")
                r = c.wait(sid, timeout=3)
            assert r.ended, "no answer to a 5 MiB length prefix: %r" % r
            expect_status(r, RESOURCE_EXHAUSTED, "larger than max")

        def unknown_method():
            r = one(srv, grpc_headers(path="/grpc.testing.TestService/NoSuchMethod"), body)
            expect_status(r, UNIMPLEMENTED, "NoSuchMethod")

        def unknown_service():
            r = one(srv, grpc_headers(path="/grpc.testing.NoSuchService/UnaryCall"), body)
            expect_status(r, UNIMPLEMENTED, "grpc.testing.NoSuchService")

        def unsupported_encoding():
            r = one(srv, grpc_headers(extra=[("grpc-encoding", "snappy")]),
                    grpc_frame(simple_request(4), compressed=True))
            expect_status(r, UNIMPLEMENTED, "snappy")

        def bad_timeout():
            expect_status(one(srv, grpc_headers(extra=[("grpc-timeout", "abc")]), body),
                          INTERNAL)

        t.case("healthy_unary", lambda: None)
        t.case("missing_path_rst_protocol_error", missing_path)
        t.case("bad_content_length_rst_protocol_error", bad_content_length)
        t.case("upper_case_header_rst_protocol_error", upper_case_name)
        t.case("oversized_header_list_resource_exhausted", oversized_header_list)
        t.case("message_over_4mib_resource_exhausted_on_prefix", message_over_limit)
        t.case("unknown_method_unimplemented", unknown_method)
        t.case("unknown_service_unimplemented", unknown_service)
        t.case("unsupported_encoding_unimplemented", unsupported_encoding)
        t.case("bad_grpc_timeout_internal", bad_timeout)
        return t.finish()


if __name__ == "__main__":
    run_main(main)
