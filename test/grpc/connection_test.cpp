// The front door's routing: what each kind of first bytes leads to, on plaintext and TLS
// listeners.
#include "grpc/detail/connection.hpp"

#include <doctest/doctest.h>

using rpcplugin::grpc::detail::door;
using rpcplugin::grpc::detail::route;
using rpcplugin::transport::protocol_guess;

TEST_SUITE("grpc")
{
    TEST_CASE("front door: a plaintext listener serves h2c and refuses TLS and HTTP/1.x")
    {
        CHECK(route(protocol_guess::http2_preface, false) == door::serve_h2c);
        CHECK(route(protocol_guess::tls_handshake, false) == door::refuse_tls);
        CHECK(route(protocol_guess::http1_request, false) == door::refuse_http1);
        // Bytes that are neither: the HTTP/2 session answers GOAWAY(PROTOCOL_ERROR).
        CHECK(route(protocol_guess::unknown, false) == door::serve_h2c);
        CHECK(route(protocol_guess::need_more, false) == door::timed_out);
    }

    TEST_CASE("front door: a TLS listener serves TLS and refuses h2c, HTTP/1.x and the rest")
    {
        CHECK(route(protocol_guess::tls_handshake, true) == door::serve_tls);
        CHECK(route(protocol_guess::http2_preface, true) == door::refuse_h2c);
        CHECK(route(protocol_guess::http1_request, true) == door::refuse_http1);
        CHECK(route(protocol_guess::unknown, true) == door::refuse_plaintext);
        CHECK(route(protocol_guess::need_more, true) == door::timed_out);
    }
}
