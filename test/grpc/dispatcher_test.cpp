// The dispatcher's answers to requests it refuses without a handler (415, 405): they go out
// when the request ends, so that the client's frames on the stream until then still meet
// an open stream (RFC 9113 section 5.1).
#include "grpc/detail/connection.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "support/h2_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;
using rpcplugin::test::h2_peer;
using rpcplugin::test::pump;

namespace
{
std::vector<http2::header> plain_post(std::string content_type = "text/plain")
{
    return {{":method", "POST"},
            {":scheme", "http"},
            {":path", "/upload"},
            {":authority", "localhost"},
            {"content-type", std::move(content_type)}};
}

struct fixture
{
    asio::io_context io;
    grpc::server srv;
    std::unique_ptr<http2::dispatcher> d;
    std::unique_ptr<http2::server_session> session;
    h2_peer peer;

    explicit fixture(std::size_t refused_body_limit = 64 * 1024)
    {
        srv.options().log.set_level(rpcplugin::log_level::off);
        srv.options().http2.refused_body_limit = refused_body_limit;
        d = grpc::detail::make_dispatcher(srv, io.get_executor(), "test");
        session =
            std::make_unique<http2::server_session>(io.get_executor(), srv.options().http2, *d);
    }
};
} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("a refused request (415) is answered when it ends, not on its HEADERS")
    {
        fixture f;
        auto id = f.peer.request(plain_post(), false);
        f.peer.send(id, std::string(1000, 'x'));
        REQUIRE_FALSE(pump(f.peer, *f.session));
        CHECK(f.peer.streams[id].headers.empty());
        CHECK_FALSE(f.peer.streams[id].closed);
        // The discarded body is acknowledged: the client's window is whole again.
        CHECK(f.peer.connection_send_window() >= 65535);

        f.peer.send(id, "end", true);
        REQUIRE_FALSE(pump(f.peer, *f.session));
        CHECK(f.peer.streams[id].header(":status") == "415");
        CHECK(f.peer.streams[id].body.find("application/grpc") != std::string::npos);
        CHECK(f.peer.streams[id].closed);
        CHECK(f.peer.streams[id].close_error == NGHTTP2_NO_ERROR);
    }

    TEST_CASE("a refused request that ends on its HEADERS is answered at once (405)")
    {
        fixture f;
        auto h = plain_post("application/grpc");
        h[0].value = "PUT";
        auto id = f.peer.request(h, true);
        REQUIRE_FALSE(pump(f.peer, *f.session));
        CHECK(f.peer.streams[id].header(":status") == "405");
        CHECK(f.peer.streams[id].closed);
    }

    TEST_CASE("RFC 9113 section 8.1.1: content-length above the DATA of a refused request is "
              "a stream PROTOCOL_ERROR, not a 415")
    {
        fixture f;
        auto h = plain_post();
        h.push_back({"content-length", "100"});
        auto id = f.peer.request(h, false);
        f.peer.send(id, "short", true);
        REQUIRE_FALSE(pump(f.peer, *f.session));
        CHECK(f.peer.streams[id].headers.empty());
        auto resets = f.peer.frames_of(NGHTTP2_RST_STREAM, id);
        REQUIRE(resets.size() == 1);
        CHECK(resets[0].error_code == NGHTTP2_PROTOCOL_ERROR);
    }

    TEST_CASE("a refused request whose body goes past refused_body_limit is answered at once "
              "and reset with NO_ERROR")
    {
        fixture f(4096);
        auto id = f.peer.request(plain_post(), false);
        f.peer.send(id, std::string(10000, 'x'));
        REQUIRE_FALSE(pump(f.peer, *f.session));
        CHECK(f.peer.streams[id].header(":status") == "415");
        CHECK(f.peer.streams[id].closed);
        auto resets = f.peer.frames_of(NGHTTP2_RST_STREAM, id);
        REQUIRE(resets.size() == 1);
        CHECK(resets[0].error_code == NGHTTP2_NO_ERROR);
    }
}
