#include "rpcplugin/grpc/server.hpp"

#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/transport/listener.hpp"
#include "support/h2_fakes.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/strand.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;

TEST_SUITE("grpc")
{
    // The server on several threads (per-connection strands, drain on the pool), while
    // clients go away during the drain: functional here, and the race check of the drain
    // paths when the suite runs under ThreadSanitizer (tools/run test).
    TEST_CASE("drain on a multi-threaded server while clients disconnect")
    {
        using namespace std::chrono_literals;
        rpcplugin::test::temp_dir dir;
        asio::io_context io(4);
        grpc::server srv;
        srv.options().log.set_level(rpcplugin::log_level::off);
        std::atomic<int> calls{0};
        srv.add_method("/t.S/M", grpc::rpc_kind::unary,
                       [&](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
                       {
                           std::string msg;
                           co_await ctx.read(msg);
                           ++calls;
                           co_return grpc::status{};
                       });
        auto l = rpcplugin::transport::listener::bind(
            io.get_executor(), rpcplugin::transport::unix_endpoint(dir.file("s.sock")));
        REQUIRE(l.has_value());
        std::atomic<bool> serving{true};
        asio::co_spawn(io, srv.serve(*l), [&](std::exception_ptr) { serving = false; });
        std::vector<std::thread> pool;
        for (int i = 0; i < 4; ++i)
            pool.emplace_back([&io] { io.run(); });

        // Clients on their own io_context: 8 channels, one call each, then half of them
        // close while the drain runs.
        asio::io_context cio;
        constexpr int n = 8;
        std::vector<std::shared_ptr<grpc::channel>> channels;
        auto connect_all = [&]() -> asio::awaitable<void>
        {
            std::string target = "unix:" + dir.file("s.sock");
            for (int i = 0; i < n; ++i)
            {
                auto ch = co_await grpc::channel::connect(cio.get_executor(), target);
                REQUIRE(ch.has_value());
                channels.push_back(*ch);
                std::string req;
                std::string resp;
                auto call = (*ch)->start_call("/t.S/M");
                co_await call->write(req);
                call->writes_done();
                co_await call->read(resp);
                auto st = co_await call->finish();
                CHECK(st.ok());
            }
        };
        auto f = asio::co_spawn(cio, connect_all(), asio::use_future);
        // The channels keep `cio` busy: run it until the calls are done.
        for (int i = 0; i < 3000 && f.wait_for(0s) != std::future_status::ready; ++i)
            cio.run_one_for(10ms);
        REQUIRE(f.wait_for(0s) == std::future_status::ready);
        f.get();
        CHECK(calls == n);
        for (int wait = 0; srv.connection_count() < n && wait < 500; ++wait)
            std::this_thread::sleep_for(10ms);
        REQUIRE(srv.connection_count() == n);

        auto drained = asio::co_spawn(io, srv.drain(300ms), asio::use_future);
        for (int i = 0; i < n; i += 2)
        {
            channels[static_cast<std::size_t>(i)]->close();
            cio.restart();
            cio.run_for(20ms);
        }
        CHECK(drained.wait_for(10s) == std::future_status::ready);
        CHECK(srv.connection_count() == 0);
        for (int wait = 0; serving && wait < 500; ++wait)
            std::this_thread::sleep_for(10ms);
        CHECK_FALSE(serving);
        channels.clear();
        cio.restart();
        cio.run_for(100ms);
        io.stop();
        for (auto& t : pool)
            t.join();
    }

    // An application may destroy its server while serve() and a connection are still
    // suspended in an io_context that it destroys later (the plugin runtime's brokered
    // servers do): the io_context then destroys those coroutines, whose clean-up must not
    // reach the destroyed server's connection registry.
    TEST_CASE("a server destroyed before its io_context, with serve() and a connection pending")
    {
        rpcplugin::test::temp_dir dir;
        auto io = std::make_unique<asio::io_context>(1);
        auto srv = std::make_unique<grpc::server>();
        srv->options().log.set_level(rpcplugin::log_level::off);
        const auto ep = rpcplugin::transport::unix_endpoint(dir.file("s.sock"));
        auto l = rpcplugin::transport::listener::bind(io->get_executor(), ep);
        REQUIRE(l.has_value());
        auto lp = std::make_unique<rpcplugin::transport::listener>(std::move(*l));
        asio::co_spawn(*io, srv->serve(*lp), [](std::exception_ptr) {});
        // A client that connects and says nothing: its connection waits in the front door.
        auto client = std::make_unique<asio::local::stream_protocol::socket>(*io);
        client->connect(asio::local::stream_protocol::endpoint(dir.file("s.sock")));
        for (int i = 0; i < 50 && srv->connection_count() == 0; ++i)
            io->run_for(std::chrono::milliseconds(10));
        CHECK(srv->connection_count() == 1);
        client.reset(); // closed, but the server's side is not run again
        srv.reset();
        lp.reset();
        io.reset(); // destroys the suspended coroutines
    }
}
