// grpc::server::drain in process: several client connections (our channel) with calls in
// flight, one handler that never finishes; after the drain the calls ended as promised,
// the hanging handlers observed cancellation at the end of the grace period, and the
// process has exactly the file descriptors it had before.

#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <rpcplugin/grpc/channel.hpp>
#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/grpc/server_context.hpp>
#include <rpcplugin/transport/endpoint.hpp>
#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace transport = rpcplugin::transport;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using rpcplugin::use_tuple;

namespace
{
constexpr const char* sleep_path = "/drain.T/Sleep";
constexpr const char* hang_path = "/drain.T/Hang";

std::size_t open_fds()
{
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

struct counters
{
    int sleep_started = 0;
    int sleep_done = 0;
    int hang_started = 0;
    int hang_cancelled = 0; // woke with operation_aborted and ctx.cancelled()
    std::vector<clock_type::time_point> hang_cancel_times;
};

// Sleep: reads the request (a decimal number of ms), sleeps, echoes it, OK.
// Hang: waits until cancelled.
void add_methods(grpc::server& server, counters& c)
{
    server.add_method(sleep_path, grpc::rpc_kind::unary,
                      [&c](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
                      {
                          std::string req;
                          bool got = co_await ctx.read(req);
                          if (!got)
                              co_return grpc::status(grpc::status_code::internal, "no request");
                          ++c.sleep_started;
                          asio::steady_timer t(co_await asio::this_coro::executor,
                                               std::chrono::milliseconds(std::stoi(req)));
                          auto [ec] = co_await t.async_wait(use_tuple);
                          if (ec)
                              co_return grpc::status(grpc::status_code::cancelled);
                          grpc::write_options wo;
                          bool written = co_await ctx.write(std::string_view(req), wo);
                          if (!written)
                              co_return grpc::status(grpc::status_code::cancelled);
                          ++c.sleep_done;
                          co_return grpc::status();
                      });
    server.add_method(hang_path, grpc::rpc_kind::unary,
                      [&c](grpc::server_context& ctx) -> asio::awaitable<grpc::status>
                      {
                          ++c.hang_started;
                          asio::steady_timer t(co_await asio::this_coro::executor,
                                               clock_type::time_point::max());
                          auto [ec] = co_await t.async_wait(use_tuple);
                          if (ec == asio::error::operation_aborted && ctx.cancelled())
                          {
                              ++c.hang_cancelled;
                              c.hang_cancel_times.push_back(clock_type::now());
                          }
                          co_return grpc::status(grpc::status_code::cancelled, "hang ended");
                      });
}

struct call_result
{
    std::optional<grpc::status> status;
    std::string response;
    clock_type::time_point end;
};

// One unary call with `request` on `path`; runs on the channel's executor.
asio::awaitable<void> unary_call(std::shared_ptr<grpc::channel> ch, std::string path,
                                 std::string request, std::shared_ptr<call_result> out)
{
    auto call = ch->start_call(std::move(path));
    grpc::write_options wo;
    co_await call->write(std::string_view(request), wo);
    call->writes_done();
    co_await call->read(out->response);
    grpc::status s = co_await call->finish();
    out->end = clock_type::now();
    out->status = s;
}

std::shared_ptr<call_result> spawn_call(const std::shared_ptr<grpc::channel>& ch, std::string path,
                                        std::string request)
{
    auto r = std::make_shared<call_result>();
    asio::co_spawn(ch->get_executor(), unary_call(ch, std::move(path), std::move(request), r),
                   asio::detached);
    return r;
}

asio::awaitable<void> wait_until(std::function<bool()> done, clock_type::duration timeout)
{
    asio::steady_timer t(co_await asio::this_coro::executor);
    auto deadline = clock_type::now() + timeout;
    while (!done() && clock_type::now() < deadline)
    {
        t.expires_after(2ms);
        co_await t.async_wait(use_tuple);
    }
}

struct drain_run
{
    std::vector<std::shared_ptr<call_result>> sleeps;
    std::vector<std::shared_ptr<call_result>> hangs;
    std::shared_ptr<call_result> after_goaway;
    bool fresh_connect_failed = false;
    bool socket_file_gone_during_drain = false;
    clock_type::time_point drain_start;
    clock_type::time_point drain_end;
};

// Looks at a running drain from outside, past its final GOAWAY: the socket file, a new call
// on a channel that saw the GOAWAY, a new connection.
asio::awaitable<void> probe(asio::io_context& io, std::string path,
                            std::shared_ptr<grpc::channel> ch, drain_run& run)
{
    asio::steady_timer t(co_await asio::this_coro::executor, 150ms);
    co_await t.async_wait(use_tuple);
    run.socket_file_gone_during_drain = !std::filesystem::exists(path);
    run.after_goaway = spawn_call(ch, sleep_path, "10");
    auto target = "unix:" + path;
    auto fresh = co_await grpc::channel::connect(io.get_executor(), target);
    run.fresh_connect_failed = !fresh.has_value();
}

constexpr int connections = 4;
constexpr auto grace = 300ms;

asio::awaitable<void> drain_scenario(asio::io_context& io, grpc::server& server, counters& c,
                                     std::string path, drain_run& run)
{
    std::vector<std::shared_ptr<grpc::channel>> channels;
    for (int i = 0; i < connections; ++i)
    {
        auto target = "unix:" + path;
        auto ch = co_await grpc::channel::connect(io.get_executor(), target);
        REQUIRE_MESSAGE(ch.has_value(), ch.error().message());
        channels.push_back(*ch);
    }
    for (int i = 0; i < connections; ++i)
    {
        run.sleeps.push_back(spawn_call(channels[i], sleep_path, "150"));
        if (i < 2)
            run.hangs.push_back(spawn_call(channels[i], hang_path, "x"));
    }
    co_await wait_until([&] { return c.sleep_started == connections && c.hang_started == 2; }, 5s);
    REQUIRE(c.sleep_started == connections);
    REQUIRE(c.hang_started == 2);
    CHECK(server.connection_count() == connections);

    // Another coroutine looks at the drain from outside while it runs.
    asio::co_spawn(io, probe(io, path, channels[3], run), asio::detached);

    run.drain_start = clock_type::now();
    co_await server.drain(grace);
    run.drain_end = clock_type::now();
    co_await wait_until(
        [&]
        {
            for (auto& r : run.sleeps)
                if (!r->status)
                    return false;
            for (auto& r : run.hangs)
                if (!r->status)
                    return false;
            return run.after_goaway && run.after_goaway->status.has_value();
        },
        2s);
    for (auto& ch : channels)
        ch->close();
}
} // namespace

TEST_SUITE("grpc drain")
{
    TEST_CASE("drain: calls in flight finish, hanging handlers are cancelled at the end of the "
              "grace, nothing leaks")
    {
        const std::size_t fds_before = open_fds();
        counters c;
        drain_run run;
        std::string path;
        {
            rpcplugin::test::temp_dir dir;
            path = dir.file("drain.sock");
            asio::io_context io;
            grpc::server server;
            add_methods(server, c);
            auto listener =
                transport::listener::bind(io.get_executor(), transport::unix_endpoint(path))
                    .value();
            asio::co_spawn(io, server.serve(listener), asio::detached);

            rpcplugin::test::run(io, drain_scenario(io, server, c, path, run), 10s);

            // Everything winds down by itself: no pending operation is left behind.
            io.restart();
            io.run_for(2s);
            CHECK(io.stopped());
            CHECK(server.connection_count() == 0);
            CHECK(!listener.is_open());
        }
        CHECK(!std::filesystem::exists(path));
        CHECK(open_fds() == fds_before);

        // (a) the calls in flight finished OK.
        CHECK(c.sleep_done == connections);
        for (auto& r : run.sleeps)
        {
            REQUIRE(r->status.has_value());
            CHECK_MESSAGE(r->status->ok(), r->status->message());
            CHECK(r->response == "150");
        }
        // (b) refused after the GOAWAY, on the old connection and on a new one.
        REQUIRE(run.after_goaway);
        REQUIRE(run.after_goaway->status.has_value());
        CHECK(run.after_goaway->status->code() == grpc::status_code::unavailable);
        CHECK(run.fresh_connect_failed);
        CHECK(run.socket_file_gone_during_drain);
        // (c) the hanging handlers observed cancellation at the end of the grace, measured
        //     from the start of the drain; their clients got a status within 100 ms.
        CHECK(c.hang_cancelled == 2);
        REQUIRE(c.hang_cancel_times.size() == 2);
        for (auto t : c.hang_cancel_times)
        {
            auto after = std::chrono::duration_cast<std::chrono::milliseconds>(t - run.drain_start);
            INFO("handler cancelled " << after.count() << " ms after the drain started");
            CHECK(after >= grace);
            CHECK(after < grace + 80ms);
        }
        for (auto& r : run.hangs)
        {
            REQUIRE(r->status.has_value());
            CHECK(r->status->code() == grpc::status_code::unavailable);
            auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                r->end - c.hang_cancel_times.front());
            INFO("client status " << after.count() << " ms after the handler's cancellation");
            CHECK(after < 100ms);
        }
        CHECK(run.drain_end - run.drain_start < grace + 100ms);
    }

    TEST_CASE("drain: ends as soon as the last call in flight is done, not at the end of the "
              "grace")
    {
        rpcplugin::test::temp_dir dir;
        const std::string path = dir.file("drain.sock");
        counters c;
        asio::io_context io;
        grpc::server server;
        add_methods(server, c);
        auto listener =
            transport::listener::bind(io.get_executor(), transport::unix_endpoint(path)).value();
        asio::co_spawn(io, server.serve(listener), asio::detached);

        auto scenario = [&]() -> asio::awaitable<clock_type::duration>
        {
            auto target = "unix:" + path;
            auto ch = co_await grpc::channel::connect(io.get_executor(), target);
            REQUIRE(ch.has_value());
            auto r = spawn_call(*ch, sleep_path, "100");
            co_await wait_until([&] { return c.sleep_started == 1; }, 5s);
            auto start = clock_type::now();
            co_await server.drain(5s);
            auto took = clock_type::now() - start;
            co_await wait_until([&] { return r->status.has_value(); }, 1s);
            REQUIRE(r->status.has_value());
            CHECK(r->status->ok());
            (*ch)->close();
            co_return took;
        };
        auto took = rpcplugin::test::run(io, scenario(), 10s);
        CHECK(took < 1s);
        CHECK(server.draining());
        CHECK(!listener.is_open());
        // A second drain finds nothing left and completes at once.
        auto again = [&]() -> asio::awaitable<void> { co_await server.drain(5s); };
        auto start = clock_type::now();
        rpcplugin::test::run(io, again(), 10s);
        CHECK(clock_type::now() - start < 1s);
    }

    TEST_CASE("drain: with no connection completes at once and stops accepting")
    {
        rpcplugin::test::temp_dir dir;
        const std::string path = dir.file("drain.sock");
        asio::io_context io;
        grpc::server server;
        auto listener =
            transport::listener::bind(io.get_executor(), transport::unix_endpoint(path)).value();
        asio::co_spawn(io, server.serve(listener), asio::detached);
        auto start = clock_type::now();
        rpcplugin::test::run(io, server.drain(2s), 5s);
        CHECK(clock_type::now() - start < 1s);
        io.restart();
        io.run_for(100ms);
        CHECK(!listener.is_open());
        CHECK(!std::filesystem::exists(path));
    }

    TEST_CASE("drain: two drains at once wait for the same end without spinning")
    {
        rpcplugin::test::temp_dir dir;
        const std::string path = dir.file("drain.sock");
        counters c;
        asio::io_context io;
        grpc::server server;
        add_methods(server, c);
        auto listener =
            transport::listener::bind(io.get_executor(), transport::unix_endpoint(path)).value();
        asio::co_spawn(io, server.serve(listener), asio::detached);

        std::shared_ptr<grpc::channel> ch;
        std::shared_ptr<call_result> hang;
        auto setup = [&]() -> asio::awaitable<void>
        {
            auto target = "unix:" + path;
            auto connected = co_await grpc::channel::connect(io.get_executor(), target);
            REQUIRE(connected.has_value());
            ch = *connected;
            hang = spawn_call(ch, hang_path, "x");
            co_await wait_until([&] { return c.hang_started == 1; }, 5s);
        };
        rpcplugin::test::run(io, setup(), 10s);
        REQUIRE(c.hang_started == 1);

        int ended = 0;
        auto count_end = [&](std::exception_ptr) { ++ended; };
        const std::clock_t cpu_before = std::clock();
        auto start = clock_type::now();
        asio::co_spawn(io, server.drain(500ms), count_end);
        asio::co_spawn(io, server.drain(500ms), count_end);
        rpcplugin::test::run_until(
            io, [&] { return ended == 2; }, 5s);
        auto took = clock_type::now() - start;
        const double cpu_ms =
            1000.0 * static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
        INFO("two drains took "
             << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms and "
             << cpu_ms << " ms of CPU");
        CHECK(took >= 500ms);
        CHECK(took < 500ms + 100ms);
        CHECK(c.hang_cancelled == 1);
        // Waiting is sleeping: a few ms of CPU, not a busy loop over the grace period.
        CHECK(cpu_ms < 100.0);
        ch->close();
        io.restart();
        io.run_for(200ms);
    }
}
