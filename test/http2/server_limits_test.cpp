// The protections of server_session, driven with raw frames: stream-id regression,
// glitch budget, ping abuse policy, handler quota, outbound queue cap and the timers.
#include "rpcplugin/http2/server_session.hpp"

#include "raw_frames.hpp"
#include "rpcplugin/http2/error.hpp"
#include "support/h2_fakes.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <memory>
#include <vector>

namespace asio = boost::asio;
namespace http2 = rpcplugin::http2;
namespace raw = rpcplugin::test::raw;
using boost::system::error_code;
using rpcplugin::test::fake_dispatcher;
using namespace std::chrono_literals;

namespace
{
struct fixture
{
    asio::io_context io;
    fake_dispatcher dispatcher;
    std::unique_ptr<http2::server_session> session;
    std::chrono::steady_clock::time_point t0;

    explicit fixture(http2::settings cfg = {},
                     std::vector<std::pair<std::uint16_t, std::uint32_t>> client_settings = {})
    {
        session = std::make_unique<http2::server_session>(io.get_executor(), cfg, dispatcher);
        t0 = std::chrono::steady_clock::now(); // not before the session's own clock start
        REQUIRE_FALSE(session->receive(raw::preface(std::move(client_settings)), t0));
        raw::drain(*session);
        REQUIRE_FALSE(feed(raw::frame(NGHTTP2_SETTINGS, NGHTTP2_FLAG_ACK, 0)));
    }

    error_code feed(const raw::bytes& b)
    {
        return session->receive(b, std::chrono::steady_clock::now());
    }

    error_code feed_all(std::vector<raw::bytes> frames)
    {
        raw::bytes all;
        for (auto& f : frames)
            raw::append(all, f);
        return feed(all);
    }

    std::vector<raw::sent_frame> out() { return raw::drain(*session); }

    /** The single GOAWAY in `frames`. */
    static raw::sent_frame goaway(const std::vector<raw::sent_frame>& frames)
    {
        auto g = raw::of_type(frames, NGHTTP2_GOAWAY);
        REQUIRE(g.size() == 1);
        return g[0];
    }
};

raw::bytes priority(std::uint32_t id)
{
    return raw::frame(NGHTTP2_PRIORITY, 0, id, std::string("\0\0\0\0\x10", 5));
}
} // namespace

TEST_SUITE("http2")
{
    TEST_CASE("limits: HEADERS on a lower, never-opened stream id is a connection PROTOCOL_ERROR")
    {
        fixture f;
        CHECK_FALSE(f.feed(raw::headers(5)));
        CHECK(f.dispatcher.requests.size() == 1);
        auto ec = f.feed(raw::headers(3));
        CHECK(ec == http2::errc::stream_id_skipped);
        CHECK(f.dispatcher.requests.size() == 1);
        auto g = fixture::goaway(f.out());
        CHECK(g.goaway_code() == NGHTTP2_PROTOCOL_ERROR);
        CHECK(g.goaway_last_id() == 5);
    }

    TEST_CASE("limits: consecutive and skipping (upward) stream ids are fine")
    {
        fixture f;
        CHECK_FALSE(
            f.feed_all({raw::headers(1), raw::headers(3), raw::headers(9), raw::headers(11)}));
        CHECK(f.dispatcher.requests.size() == 4);
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
    }

    TEST_CASE("limits: glitch budget of PRIORITY frames ends with GOAWAY ENHANCE_YOUR_CALM")
    {
        http2::settings cfg;
        cfg.glitch_burst = 5;
        cfg.glitch_rate = 0;
        fixture f(cfg);
        for (int i = 0; i < 5; ++i)
            REQUIRE_FALSE(f.feed(priority(1)));
        CHECK(f.feed(priority(1)) == http2::errc::too_many_glitches);
        auto g = fixture::goaway(f.out());
        CHECK(g.goaway_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(g.goaway_debug() == "too_many_glitches");
    }

    TEST_CASE("limits: empty DATA without END_STREAM is a glitch, the final empty DATA is not")
    {
        http2::settings cfg;
        cfg.glitch_burst = 3;
        cfg.glitch_rate = 0;
        fixture f(cfg);
        REQUIRE_FALSE(f.feed(raw::headers(1, false)));
        for (int i = 0; i < 3; ++i)
            REQUIRE_FALSE(f.feed(raw::frame(NGHTTP2_DATA, 0, 1)));
        REQUIRE_FALSE(f.feed(raw::headers(3, false)));
        CHECK_FALSE(f.feed(raw::frame(NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 3)));
        CHECK(f.feed(raw::frame(NGHTTP2_DATA, 0, 1)) == http2::errc::too_many_glitches);
    }

    TEST_CASE("limits: frames on closed streams and unknown frame types are glitches")
    {
        http2::settings cfg;
        cfg.glitch_burst = 4;
        cfg.glitch_rate = 0;
        fixture f(cfg);
        REQUIRE_FALSE(f.feed_all({raw::headers(1, false), raw::rst(1)}));
        f.out();
        CHECK_FALSE(f.feed(raw::window_update(1, 100)));
        CHECK_FALSE(f.feed(raw::frame(NGHTTP2_DATA, 0, 1, "abc")));
        CHECK_FALSE(f.feed(raw::frame(0x20, 0, 0, "extension")));
        CHECK_FALSE(f.feed(raw::frame(0x21, 0, 7, "")));
        CHECK(f.feed(raw::rst(1)) == http2::errc::too_many_glitches);
    }

    TEST_CASE("limits: SETTINGS after the first and unsolicited PING ACKs are glitches")
    {
        http2::settings cfg;
        cfg.glitch_burst = 2;
        cfg.glitch_rate = 0;
        fixture f(cfg);
        CHECK_FALSE(f.feed(raw::frame(NGHTTP2_SETTINGS, 0, 0)));
        CHECK_FALSE(f.feed(raw::ping("abcdefgh", true)));
        CHECK(f.feed(raw::frame(NGHTTP2_SETTINGS, 0, 0)) == http2::errc::too_many_glitches);
    }

    TEST_CASE("limits: glitch budget off with burst 0")
    {
        http2::settings cfg;
        cfg.glitch_burst = 0;
        fixture f(cfg);
        for (int i = 0; i < 3000; ++i)
            REQUIRE_FALSE(f.feed(priority(1)));
    }

    TEST_CASE("limits: ping abuse: the third strike gets GOAWAY ENHANCE_YOUR_CALM too_many_pings")
    {
        fixture f;
        for (int i = 0; i < 3; ++i) // the first PING and two strikes
            REQUIRE_FALSE(f.feed(raw::ping()));
        auto acks = raw::of_type(f.out(), NGHTTP2_PING);
        CHECK(acks.size() == 3);
        CHECK(f.feed(raw::ping()) == http2::errc::too_many_pings);
        auto g = fixture::goaway(f.out());
        CHECK(g.goaway_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(g.goaway_debug() == "too_many_pings");
    }

    TEST_CASE("limits: ping strikes are reset when the server sends HEADERS or DATA")
    {
        fixture f;
        f.dispatcher.answer = rpcplugin::test::respond_with("payload");
        for (std::uint32_t id = 1; id < 40; id += 2)
        {
            REQUIRE_FALSE(f.feed(raw::ping()));
            REQUIRE_FALSE(f.feed(raw::ping()));
            REQUIRE_FALSE(f.feed(raw::headers(id)));
            auto frames = f.out(); // the response resets the strikes
            REQUIRE(raw::of_type(frames, NGHTTP2_DATA).size() >= 1);
            REQUIRE(raw::of_type(frames, NGHTTP2_GOAWAY).empty());
        }
    }

    TEST_CASE("limits: ping abuse policy off with max_ping_strikes 0")
    {
        http2::settings cfg;
        cfg.max_ping_strikes = 0;
        fixture f(cfg);
        for (int i = 0; i < 200; ++i)
        {
            REQUIRE_FALSE(f.feed(raw::ping()));
            f.out();
        }
    }

    TEST_CASE("limits: handlers of reset streams still count; reading stops until one ends")
    {
        http2::settings cfg;
        cfg.max_concurrent_streams = 2;
        fixture f(cfg);
        std::vector<http2::handler_slot> slots;
        f.dispatcher.answer = [&](http2::server_session& s, fake_dispatcher::request&)
        { slots.push_back(s.start_handler()); };

        // Rapid reset: every stream is gone at once, its handler is not.
        CHECK_FALSE(f.feed_all({raw::headers(1, false), raw::rst(1), raw::headers(3, false),
                                raw::rst(3), raw::headers(5, false), raw::rst(5)}));
        CHECK(f.dispatcher.requests.size() == 2);
        CHECK(f.dispatcher.observer(1).close_code == NGHTTP2_CANCEL);
        CHECK(f.dispatcher.observer(3).close_code == NGHTTP2_CANCEL);
        CHECK(f.session->active_streams() == 0);
        CHECK(f.session->running_handlers() == 2);
        CHECK(f.session->read_blocked());
        CHECK(f.session->input_pending());
        CHECK_FALSE(f.feed({})); // still blocked: nothing happens
        CHECK(f.dispatcher.requests.size() == 2);

        slots[0].release();
        CHECK(f.session->running_handlers() == 1);
        CHECK_FALSE(f.session->read_blocked());
        CHECK_FALSE(f.feed({}));
        CHECK(f.dispatcher.requests.size() == 3);
        CHECK_FALSE(f.session->input_pending());
        CHECK(f.session->running_handlers() == 2);
        slots.clear();
        CHECK(f.session->running_handlers() == 0);
    }

    TEST_CASE("limits: no pause when every handler still has its stream: nghttp2 refuses more")
    {
        http2::settings cfg;
        cfg.max_concurrent_streams = 2;
        fixture f(cfg);
        std::vector<http2::handler_slot> slots;
        f.dispatcher.answer = [&](http2::server_session& s, fake_dispatcher::request&)
        { slots.push_back(s.start_handler()); };
        // The limit is acknowledged (the fixture's SETTINGS ACK): stream 5 is one too many.
        CHECK_FALSE(f.feed_all({raw::headers(1, false), raw::headers(3, false)}));
        CHECK(f.session->running_handlers() == 2);
        CHECK_FALSE(f.session->read_blocked());
        auto ec = f.feed(raw::headers(5, false));
        CHECK_FALSE(f.session->input_pending());
        CHECK(f.dispatcher.requests.size() == 2);
        auto frames = f.out();
        bool refused = !raw::of_type(frames, NGHTTP2_GOAWAY).empty() ||
                       !raw::of_type(frames, NGHTTP2_RST_STREAM).empty();
        CHECK_MESSAGE(refused, ec.message());
    }

    TEST_CASE("limits: a handler_slot may outlive its session")
    {
        http2::handler_slot slot;
        {
            fixture f;
            slot = f.session->start_handler();
            CHECK(f.session->running_handlers() == 1);
        }
        CHECK(static_cast<bool>(slot));
        slot.release();
        CHECK_FALSE(static_cast<bool>(slot));
    }

    TEST_CASE("limits: reading pauses while more than max_outbound_frames wait for the socket")
    {
        http2::settings cfg;
        cfg.max_outbound_frames = 5;
        cfg.max_ping_strikes = 0;
        fixture f(cfg);
        std::vector<raw::bytes> flood(40, raw::ping());
        CHECK_FALSE(f.feed_all(flood));
        CHECK(f.session->input_pending());
        CHECK(f.session->read_blocked());
        std::size_t acks = raw::of_type(f.out(), NGHTTP2_PING).size();
        CHECK(acks == 6); // paused as soon as the queue exceeded 5
        CHECK_FALSE(f.session->read_blocked());
        int rounds = 0;
        while (f.session->input_pending())
        {
            REQUIRE(++rounds < 100);
            REQUIRE_FALSE(f.feed({}));
            auto n = raw::of_type(f.out(), NGHTTP2_PING).size();
            REQUIRE(n <= 6);
            acks += n;
        }
        CHECK(acks == 40);
    }

    TEST_CASE("limits: a response stalled on a zero window is reset after write_stall_timeout")
    {
        http2::settings cfg;
        cfg.write_stall_timeout = 1s;
        fixture f(cfg, {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 0}});
        f.dispatcher.answer = rpcplugin::test::respond_with("response body");
        REQUIRE_FALSE(f.feed_all({raw::headers(1), raw::headers(3)}));
        auto frames = f.out();
        CHECK(raw::of_type(frames, NGHTTP2_HEADERS).size() == 2);
        CHECK(raw::of_type(frames, NGHTTP2_DATA).empty());

        auto t = std::chrono::steady_clock::now();
        CHECK_FALSE(f.session->on_timer(t));
        // Stream 3 gets window in time; stream 1 never does.
        REQUIRE_FALSE(f.feed(raw::window_update(3, 1000)));
        CHECK(raw::of_type(f.out(), NGHTTP2_DATA).size() == 1);
        CHECK_FALSE(f.session->on_timer(t + 999ms));
        CHECK(raw::of_type(f.out(), NGHTTP2_RST_STREAM).empty());
        CHECK_FALSE(f.session->on_timer(t + 1s));
        auto rst = raw::of_type(f.out(), NGHTTP2_RST_STREAM);
        REQUIRE(rst.size() == 1);
        CHECK(rst[0].stream_id == 1);
        CHECK(rst[0].rst_code() == NGHTTP2_CANCEL);
        CHECK(f.dispatcher.observer(1).close_code == NGHTTP2_CANCEL);
    }

    TEST_CASE("limits: an idle connection gets GOAWAY(NO_ERROR) after idle_timeout")
    {
        http2::settings cfg;
        cfg.idle_timeout = 1s;
        fixture f(cfg);
        CHECK_FALSE(f.session->on_timer(f.t0 + 500ms));
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
        REQUIRE_FALSE(f.feed(raw::headers(1, false)));
        CHECK_FALSE(f.session->on_timer(f.t0 + 10s)); // a stream is open: not idle
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
        REQUIRE_FALSE(f.feed(raw::rst(1)));
        auto closed = std::chrono::steady_clock::now();
        CHECK_FALSE(f.session->on_timer(closed + 900ms));
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
        CHECK_FALSE(f.session->on_timer(closed + 1100ms));
        auto g = fixture::goaway(f.out());
        CHECK(g.goaway_code() == NGHTTP2_NO_ERROR);
        CHECK(g.goaway_last_id() == 1);
        CHECK_FALSE(f.session->want_read());
        CHECK_FALSE(f.session->want_write());
    }

    TEST_CASE("limits: a running handler keeps the connection from being idle")
    {
        http2::settings cfg;
        cfg.idle_timeout = 1s;
        fixture f(cfg);
        auto slot = f.session->start_handler();
        CHECK_FALSE(f.session->on_timer(f.t0 + 10s));
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
        f.session->set_idle_timeout(0ms);
        slot.release();
        CHECK_FALSE(f.session->on_timer(f.t0 + 100s));
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).empty());
    }

    TEST_CASE("limits: keepalive PING; no ACK within keepalive_timeout ends the connection")
    {
        http2::settings cfg;
        cfg.keepalive_time = 1s;
        cfg.keepalive_timeout = 1s;
        fixture f(cfg);
        auto t = std::chrono::steady_clock::now();
        CHECK_FALSE(f.session->on_timer(t + 1100ms));
        auto pings = raw::of_type(f.out(), NGHTTP2_PING);
        REQUIRE(pings.size() == 1);
        CHECK_FALSE(pings[0].has(NGHTTP2_FLAG_ACK));
        // Answered: fine, and the ACK is no glitch.
        REQUIRE_FALSE(f.feed(raw::ping(pings[0].payload, true)));
        // The next one (the peer is silent again) is not answered: the connection ends.
        CHECK_FALSE(f.session->on_timer(t + 10s));
        REQUIRE(raw::of_type(f.out(), NGHTTP2_PING).size() == 1);
        CHECK_FALSE(f.session->on_timer(t + 10900ms));
        CHECK(f.session->on_timer(t + 11s) == http2::errc::keepalive_timeout);
        CHECK(raw::of_type(f.out(), NGHTTP2_GOAWAY).size() == 1);
    }

    TEST_CASE("limits: max_connection_age: shutdown notice, final GOAWAY, close after the grace")
    {
        http2::settings cfg;
        cfg.max_connection_age = 1s;
        cfg.max_connection_age_grace = 5s;
        fixture f(cfg);
        REQUIRE_FALSE(f.feed(raw::headers(1, false)));
        CHECK_FALSE(f.session->on_timer(f.t0 + 1s));
        auto notice = fixture::goaway(f.out());
        CHECK(notice.goaway_last_id() == 0x7fffffff);
        CHECK_FALSE(f.session->on_timer(f.t0 + 2s));
        auto final_goaway = fixture::goaway(f.out());
        CHECK(final_goaway.goaway_last_id() == 1);
        CHECK(final_goaway.goaway_code() == NGHTTP2_NO_ERROR);
        CHECK(f.session->want_read()); // stream 1 may still finish
        CHECK(f.session->on_timer(f.t0 + 6s) == http2::errc::connection_too_old);
    }
}

TEST_SUITE("http2")
{
    TEST_CASE("limits: the stream whose DATA crosses max_request_buffer is reset ENHANCE_YOUR_CALM")
    {
        http2::settings cfg;
        cfg.max_request_buffer = 100 * 1024;
        fixture f(cfg);
        f.dispatcher.answer = [](http2::server_session&, fake_dispatcher::request& r)
        { r.observer->auto_consume = false; };
        const std::string chunk(16 * 1024, 'x');
        // Three streams hold 3 x 32 KiB = 96 KiB: under the limit.
        for (std::uint32_t id : {1u, 3u, 5u})
        {
            REQUIRE_FALSE(f.feed(raw::headers(id, false)));
            REQUIRE_FALSE(f.feed_all(
                {raw::frame(NGHTTP2_DATA, 0, id, chunk), raw::frame(NGHTTP2_DATA, 0, id, chunk)}));
        }
        CHECK(raw::of_type(f.out(), NGHTTP2_RST_STREAM).empty());
        // Stream 7 crosses it.
        REQUIRE_FALSE(f.feed(raw::headers(7, false)));
        REQUIRE_FALSE(f.feed(raw::frame(NGHTTP2_DATA, 0, 7, chunk)));
        auto rst = raw::of_type(f.out(), NGHTTP2_RST_STREAM);
        REQUIRE(rst.size() == 1);
        CHECK(rst[0].stream_id == 7);
        CHECK(rst[0].rst_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(f.dispatcher.observer(7).close_code == NGHTTP2_ENHANCE_YOUR_CALM);

        // Once a handler took its bytes, there is room again (the total is recounted).
        f.dispatcher.observer(1).held = 0;
        REQUIRE_FALSE(f.feed(raw::headers(9, false)));
        REQUIRE_FALSE(f.feed(raw::frame(NGHTTP2_DATA, 0, 9, chunk)));
        CHECK(raw::of_type(f.out(), NGHTTP2_RST_STREAM).empty());
    }
}
