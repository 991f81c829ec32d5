#include "rpcplugin/grpc/server.hpp"

#include "rpcplugin/http2/server_session.hpp"
#include "support/h2_fakes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <memory>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;

TEST_SUITE("grpc")
{
    // Found by the protocol suite under ASan: drain posts work to each connection's strand;
    // a connection that ended after drain listed it (its end already queued on the strand)
    // was freed when that work ran, and the work used its session.
    TEST_CASE("drain leaves alone a connection that ended after drain listed it")
    {
        using namespace std::chrono_literals;
        asio::io_context io;
        grpc::server srv;
        srv.options().log.set_level(rpcplugin::log_level::off);
        rpcplugin::test::fake_dispatcher d;
        auto session = std::make_unique<http2::server_session>(io.get_executor(),
                                                               srv.options().http2, d);
        auto entry = std::make_shared<grpc::server::connection_entry>(
            grpc::server::connection_entry{asio::make_strand(io), session.get(), nullptr});
        srv.register_connection(entry);
        REQUIRE(srv.connection_count() == 1);

        bool drained = false;
        asio::co_spawn(io, srv.drain(0ms), [&](std::exception_ptr) { drained = true; });
        while (!srv.draining())
            io.run_one(); // drain listed the connection and posted its GOAWAY to the strand

        // The connection ends (as its serve_h2 frame would, on its strand): entry marked,
        // unregistered, session gone. Drain's posted work must not touch it.
        entry->alive = false;
        srv.unregister_connection(entry.get());
        session.reset();
        entry.reset();

        io.restart();
        io.run_for(5s);
        CHECK(drained);
        CHECK(srv.connection_count() == 0);
    }
}
