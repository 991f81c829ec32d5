#include "rpcplugin/grpc/server_context.hpp"

#include "grpc/detail/connection.hpp"
#include "rpcplugin/grpc/percent_encoding.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "support/h2_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;
using rpcplugin::test::h2_peer;
using rpcplugin::test::pump;

TEST_SUITE("grpc")
{
    // Found by test/fuzz (fuzz_session): co_spawn's cancellation handler forwards the
    // call's cancellation with asio::dispatch, which queues it when the emitter is not
    // running on the call's executor. The queued function points into the call's
    // cancellation_signal; the call must stay alive until it ran, even when the
    // emission (a lost connection here) drops the session's last reference to it.
    TEST_CASE("a call cancelled from outside its executor outlives the queued cancellation")
    {
        asio::io_context io;
        grpc::server srv;
        srv.options().log.set_level(rpcplugin::log_level::off);
        std::weak_ptr<grpc::server_context> call;
        bool handler_done = false;
        srv.add_method("/t.S/M", grpc::rpc_kind::unary,
                       [&](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
                       {
                           call = ctx.shared_from_this();
                           handler_done = true;
                           co_return grpc::status{};
                       });
        auto d = grpc::detail::make_dispatcher(srv, io.get_executor(), "test");
        http2::server_session session(io.get_executor(), srv.options().http2, *d);
        h2_peer peer;
        peer.post("/t.S/M", false); // the client keeps its side open
        REQUIRE_FALSE(pump(peer, session));
        io.poll(); // the handler runs and completes; its status is queued, not yet sent
        REQUIRE(handler_done);
        REQUIRE_FALSE(call.expired());
        REQUIRE(session.active_streams() == 1);

        // The connection is lost; the session holds the call's last reference.
        session.close_all_streams(http2::connection_lost);
        io.restart();
        io.poll(); // the queued cancellation runs: under ASan a use-after-free before the fix
        CHECK(call.expired());
        CHECK(session.active_streams() == 0);
    }

    // Found by test/fuzz (fuzz_connection): handler metadata went out unchecked, so an
    // invalid key made the client reset the stream with PROTOCOL_ERROR (the status was
    // lost) and a reserved key could forge grpc-status.
    TEST_CASE("invalid or reserved response metadata is refused and the status arrives intact")
    {
        asio::io_context io;
        grpc::server srv;
        srv.options().log.set_level(rpcplugin::log_level::off);
        std::vector<bool> results;
        srv.add_method(
            "/t.S/M", grpc::rpc_kind::unary,
            [&](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
            {
                results.push_back(ctx.add_initial_metadata("Bad Key", "v"));
                results.push_back(ctx.add_initial_metadata("", "v"));
                results.push_back(ctx.add_initial_metadata("x-ok", "line\nbreak"));
                results.push_back(ctx.add_initial_metadata("content-type", "text/html"));
                results.push_back(ctx.add_initial_metadata("x-ok", "fine"));
                results.push_back(ctx.add_trailing_metadata("grpc-status", "0"));
                results.push_back(ctx.add_trailing_metadata(":status", "500"));
                results.push_back(ctx.add_trailing_metadata("x-bin-bin", std::string("\0\n", 2)));
                results.push_back(ctx.add_trailing_metadata("grpc-status-details-bin", "d"));
                co_return grpc::status(grpc::status_code::not_found, "nope");
            });
        auto d = grpc::detail::make_dispatcher(srv, io.get_executor(), "test");
        http2::server_session session(io.get_executor(), srv.options().http2, *d);
        h2_peer peer;
        auto id = peer.post("/t.S/M", false);
        peer.send(id, std::string("\0\0\0\0\0", 5), true);
        REQUIRE_FALSE(pump(peer, session));
        io.poll();
        REQUIRE_FALSE(pump(peer, session));

        CHECK(results ==
              std::vector<bool>{false, false, false, false, true, false, false, true, true});
        const auto& s = peer.streams.at(id);
        CHECK(s.closed);
        CHECK(s.close_error == 0); // not reset by the client
        CHECK(peer.last_error == 0);
        CHECK(s.header("x-ok") == "fine");
        CHECK(s.header("content-type") == "application/grpc");
        CHECK(s.trailer("grpc-status") == "5");
        CHECK(s.trailer("grpc-message") == "nope");
        CHECK(s.trailer("x-bin-bin") == "AAo");
        CHECK(s.trailer("grpc-status-details-bin") == "ZA");
        int statuses = 0;
        for (const auto& t : s.trailers)
            statuses += t.name == "grpc-status" || t.name == ":status";
        CHECK(statuses == 1);
    }

    // Found by test/fuzz (fuzz_connection): a status message beginning with a space went out
    // verbatim in grpc-message; the client treated the trailers as malformed and reset the
    // stream with PROTOCOL_ERROR, so the status never arrived. Metadata values with a space
    // at either end had the same effect.
    TEST_CASE("no response field value starts or ends with whitespace (RFC 9113 8.2.1): the "
              "status and its message arrive intact")
    {
        asio::io_context io;
        grpc::server srv;
        srv.options().log.set_level(rpcplugin::log_level::off);
        std::vector<bool> results;
        const std::string message = " Unicode BMP \xe2\x98\xba and a space at both ends ";
        srv.add_method("/t.S/M", grpc::rpc_kind::unary,
                       [&](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
                       {
                           results.push_back(ctx.add_initial_metadata("x-lead", " v"));
                           results.push_back(ctx.add_initial_metadata("x-trail", "v "));
                           results.push_back(ctx.add_initial_metadata("x-inner", "a b"));
                           results.push_back(ctx.add_trailing_metadata("x-space", " "));
                           results.push_back(ctx.add_trailing_metadata("x-bin", " binary "));
                           co_return grpc::status(grpc::status_code::unknown, message);
                       });
        auto d = grpc::detail::make_dispatcher(srv, io.get_executor(), "test");
        http2::server_session session(io.get_executor(), srv.options().http2, *d);
        h2_peer peer;
        auto id = peer.post("/t.S/M", false);
        peer.send(id, std::string("\0\0\0\0\0", 5), true);
        // An unknown method with a percent sign in its name: the framework's own message.
        auto unknown = peer.post("/t.S/No%41", true);
        REQUIRE_FALSE(pump(peer, session));
        io.poll();
        REQUIRE_FALSE(pump(peer, session));

        CHECK(results == std::vector<bool>{false, false, true, false, true});
        const auto& s = peer.streams.at(id);
        CHECK(s.closed);
        CHECK(s.close_error == 0); // not reset by the client
        CHECK(peer.last_error == 0);
        CHECK(s.header("x-inner") == "a b");
        CHECK(s.trailer("grpc-status") == "2");
        CHECK(grpc::percent_decode(s.trailer("grpc-message")) == message);
        CHECK(s.trailer("x-bin") == "IGJpbmFyeSA");

        const auto& u = peer.streams.at(unknown);
        CHECK(u.closed);
        CHECK(u.close_error == 0);
        CHECK(u.header("grpc-status") == "12");
        CHECK(grpc::percent_decode(u.header("grpc-message")) ==
              "unknown method No%41 for service t.S");
    }
}
