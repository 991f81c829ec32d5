#include "rpcplugin/grpc/server_context.hpp"

#include "grpc/detail/connection.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "support/h2_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <memory>

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
}
