// The driver's side of the limits, over a real socket pair: reading stops while the
// handler quota is full or while the peer does not read, and a stalled socket is closed.
#include "rpcplugin/http2/serve.hpp"

#include "raw_frames.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/transport/stream.hpp"
#include "support/h2_fakes.hpp"
#include "support/run.hpp"
#include "support/stream_pair.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <memory>
#include <vector>

namespace asio = boost::asio;
namespace http2 = rpcplugin::http2;
namespace raw = rpcplugin::test::raw;
namespace transport = rpcplugin::transport;
using boost::system::error_code;
using rpcplugin::use_tuple;
using rpcplugin::test::fake_dispatcher;
using namespace std::chrono_literals;

namespace
{
struct client_result
{
    bool done = false;
    error_code ec;
    std::size_t written = 0;
};

/** Writes `data` and never reads; records how far it got. */
asio::awaitable<void> write_only(transport::unix_socket& s, raw::bytes data,
                                 std::shared_ptr<client_result> r)
{
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), use_tuple);
    r->ec = ec;
    r->written = n;
    r->done = true;
}
} // namespace

TEST_SUITE("http2")
{
    TEST_CASE("serve reads no new request while max_concurrent_streams handlers run")
    {
        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;

        http2::settings cfg;
        cfg.max_concurrent_streams = 1;
        fake_dispatcher d;
        std::vector<http2::handler_slot> slots;
        d.answer = [&](http2::server_session& s, fake_dispatcher::request&)
        { slots.push_back(s.start_handler()); };
        http2::server_session h2(io.get_executor(), cfg, d);

        // Rapid reset: each stream is gone at once, its handler goes on and holds the only
        // slot (a client cannot have more streams open than MAX_CONCURRENT_STREAMS, but
        // handlers may outlive their streams).
        raw::bytes in = raw::preface();
        for (std::uint32_t id : {1u, 3u, 5u})
        {
            raw::append(in, raw::headers(id, false));
            raw::append(in, raw::rst(id));
        }
        auto cr = std::make_shared<client_result>();
        asio::co_spawn(io, write_only(b, in, cr), asio::detached);

        bool served = false;
        error_code serve_ec;
        asio::co_spawn(io, http2::serve(server, h2, cfg),
                       [&](std::exception_ptr, error_code ec)
                       {
                           served = true;
                           serve_ec = ec;
                       });
        rpcplugin::test::run_until(io, [&] { return d.requests.size() == 1 && cr->done; });
        io.run_for(200ms);
        CHECK(d.requests.size() == 1); // stream 3 waits for the handler of stream 1
        CHECK(h2.active_streams() == 0);
        CHECK(h2.read_blocked());

        slots.at(0).release();
        rpcplugin::test::run_until(io, [&] { return d.requests.size() == 2; });
        io.run_for(100ms);
        CHECK(d.requests.size() == 2);
        slots.at(1).release();
        rpcplugin::test::run_until(io, [&] { return d.requests.size() == 3; });

        b.close();
        rpcplugin::test::run_until(io, [&] { return served; });
        CHECK(serve_ec != http2::errc::write_stalled);
    }

    TEST_CASE("serve stops reading a PING flood from a peer that does not read, then closes it")
    {
        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;

        http2::settings cfg;
        cfg.max_ping_strikes = 0; // let the flood through the ping policy
        cfg.glitch_burst = 0;
        cfg.write_stall_timeout = 300ms;
        fake_dispatcher d;
        http2::server_session h2(io.get_executor(), cfg, d);

        raw::bytes in = raw::preface();
        auto ping = raw::ping();
        for (int i = 0; i < 200000; ++i) // 3.4 MB
            raw::append(in, ping);
        auto cr = std::make_shared<client_result>();
        asio::co_spawn(io, write_only(b, in, cr), asio::detached);

        auto t0 = std::chrono::steady_clock::now();
        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg), 10s);
        auto took = std::chrono::steady_clock::now() - t0;
        // Not nghttp2's flood detection (more than 1000 queued ACKs): the session stopped
        // reading long before, and the watchdog closed the stalled socket.
        CHECK_MESSAGE(ec == http2::errc::write_stalled, ec.message());
        CHECK(took < 5s);
        rpcplugin::test::run_until(io, [&] { return cr->done; });
        CHECK(cr->ec);
        CHECK(cr->written < in.size());
    }

    TEST_CASE("serve closes a connection whose peer stops reading a large response")
    {
        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;

        http2::settings cfg;
        cfg.write_stall_timeout = 300ms;
        fake_dispatcher d;
        d.answer = rpcplugin::test::respond_with(std::string(8 << 20, 'x'));
        http2::server_session h2(io.get_executor(), cfg, d);

        // Large windows, one request, then silence.
        raw::bytes in = raw::preface({{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0x7fffffff}});
        raw::append(in, raw::window_update(0, 0x7fffffff - 65535));
        raw::append(in, raw::headers(1));
        auto cr = std::make_shared<client_result>();
        asio::co_spawn(io, write_only(b, in, cr), asio::detached);

        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg), 10s);
        CHECK_MESSAGE(ec == http2::errc::write_stalled, ec.message());
        CHECK(d.observer(1).close_code == http2::connection_lost);
    }
}
