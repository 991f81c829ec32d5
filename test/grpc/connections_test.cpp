// The server's connections as a task group: the handshake quota, work posted to a
// connection that ended meanwhile, cancellation of every member, and awaiting the last.
#include "grpc/detail/connections.hpp"

#include "rpcplugin/http2/server_session.hpp"
#include "support/h2_fakes.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>

namespace asio = boost::asio;
namespace http2 = rpcplugin::http2;
using rpcplugin::grpc::detail::connections;
using namespace std::chrono_literals;

TEST_SUITE("grpc")
{
    TEST_CASE("connections: handshake places are bounded by the quota")
    {
        connections c;
        CHECK(c.begin_handshake(2));
        CHECK(c.begin_handshake(2));
        CHECK_FALSE(c.begin_handshake(2));
        CHECK(c.pending_handshakes() == 2);
        c.end_handshake();
        {
            rpcplugin::grpc::detail::handshake_place place(c, 2);
            CHECK(place);
            CHECK_FALSE(c.begin_handshake(2));
        }
        CHECK(c.pending_handshakes() == 1);
        c.end_handshake();
        CHECK(c.pending_handshakes() == 0);
        for (int i = 0; i < 1000; ++i)
            REQUIRE(c.begin_handshake(0)); // 0: no limit
        CHECK(c.pending_handshakes() == 1000);
    }

    // Found by the protocol suite under ASan: the drain posts work to each connection's
    // strand; a connection that ended after the drain listed it (its end already queued on
    // the strand) was freed when that work ran, and the work used its session.
    TEST_CASE("connections: work posted to a connection that ended meanwhile leaves it alone")
    {
        asio::io_context io;
        rpcplugin::test::fake_dispatcher d;
        http2::settings cfg;
        auto session = std::make_unique<http2::server_session>(io.get_executor(), cfg, d);
        connections c;
        c.join(7, asio::make_strand(io));
        c.attach(7, session.get());
        REQUIRE(c.size() == 1);
        CHECK(c.each_session([](http2::server_session& s) { s.goaway(0); }) == 1);
        // The connection ends before the posted work runs: detached, gone, session freed.
        c.attach(7, nullptr);
        c.leave(7);
        session.reset();
        io.run_for(1s);
        CHECK(c.size() == 0);
    }

    TEST_CASE("connections: cancel reaches every member; wait_empty awaits the last one")
    {
        asio::io_context io;
        connections c;
        int ended = 0;
        // Three members that wait until they are cancelled, each on its own strand.
        auto member = [&](std::uint64_t id) -> asio::awaitable<void>
        {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::hours(1));
            co_await t.async_wait(rpcplugin::use_tuple);
            ++ended;
            c.leave(id);
        };
        for (std::uint64_t id = 1; id <= 3; ++id)
        {
            auto strand = asio::make_strand(io);
            auto m = c.join(id, strand);
            asio::co_spawn(
                strand, member(id),
                asio::bind_cancellation_slot(m->signal.slot(), [](std::exception_ptr) {}));
        }
        std::optional<bool> early;
        std::optional<bool> last;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void>
            {
                early = co_await c.wait_empty(std::chrono::steady_clock::now() + 50ms);
                CHECK(c.cancel(asio::cancellation_type::terminal) == 3);
                last = co_await c.wait_empty(std::chrono::steady_clock::time_point::max());
            },
            [](std::exception_ptr e)
            {
                if (e)
                    std::rethrow_exception(e);
            });
        io.run_for(10s);
        REQUIRE(early.has_value());
        CHECK_FALSE(*early); // nobody ended before the cancellation
        REQUIRE(last.has_value());
        CHECK(*last);
        CHECK(ended == 3);
        CHECK(c.size() == 0);
    }

    TEST_CASE("connections: join refuses a member beyond max_connections")
    {
        asio::io_context io;
        connections c;
        CHECK(c.join(1, io.get_executor(), 2));
        CHECK(c.join(2, io.get_executor(), 2));
        CHECK_FALSE(c.join(3, io.get_executor(), 2));
        c.leave(1);
        CHECK(c.join(3, io.get_executor(), 2));
        CHECK(c.join(4, io.get_executor())); // 0: no limit
        CHECK(c.size() == 3);
    }

    TEST_CASE("connections: the drain flag is set once and refuses new listeners")
    {
        asio::io_context io;
        connections c;
        CHECK_FALSE(c.draining());
        CHECK(c.start_drain(io.get_executor()));
        CHECK(c.draining());
        CHECK_FALSE(c.start_drain(io.get_executor()));
        CHECK_FALSE(c.add_listener(nullptr));
    }
}
