#include "rpcplugin/http2/serve.hpp"

#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/transport/stream.hpp"
#include "support/h2_fakes.hpp"
#include "support/h2_peer.hpp"
#include "support/run.hpp"
#include "support/stream_pair.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/_experimental/test/fail_count.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <array>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http2 = rpcplugin::http2;
namespace transport = rpcplugin::transport;
using boost::system::error_code;
using rpcplugin::use_tuple;
using rpcplugin::test::fake_dispatcher;
using rpcplugin::test::h2_peer;

namespace
{
using namespace std::chrono_literals;

/**
 * The client side: sends what the peer queues, feeds what arrives, until `done()` or the
 * connection ends; then flushes and closes its end.
 */
template <class Stream>
asio::awaitable<void> drive_client(Stream& s, h2_peer& peer, std::function<bool()> done)
{
    std::array<unsigned char, 4096> buf{};
    for (;;)
    {
        auto out = peer.take_output();
        if (!out.empty())
        {
            auto [wec, wn] = co_await asio::async_write(s, asio::buffer(out), use_tuple);
            if (wec)
                break;
        }
        if (done())
            break;
        auto [rec, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
        if (rec)
            break;
        peer.receive({buf.data(), n});
        if (peer.last_error != 0)
            break;
    }
    s.close();
}

/** Reads from `s` until the end of the stream; returns what arrived and how it ended. */
template <class Stream>
asio::awaitable<std::tuple<error_code, std::vector<unsigned char>>> read_to_end(Stream& s)
{
    std::vector<unsigned char> all;
    std::array<unsigned char, 4096> buf{};
    for (;;)
    {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), use_tuple);
        all.insert(all.end(), buf.data(), buf.data() + n);
        if (ec)
            co_return std::tuple{ec, all};
    }
}

/** A one-request exchange: the client posts "ping", the server answers "pong" + trailers. */
struct exchange
{
    http2::settings cfg;
    fake_dispatcher dispatcher;
    h2_peer peer;
    std::int32_t id = 0;
    bool client_done = false;
    std::exception_ptr client_error;

    exchange()
    {
        dispatcher.answer = rpcplugin::test::respond_at_end("pong", {{"grpc-status", "0"}});
        id = peer.post("/s/m");
        peer.send(id, "ping", true);
    }

    bool answered() const { return peer.streams.at(id).closed; }

    template <class Stream>
    void start_client(asio::io_context& io, Stream& s)
    {
        asio::co_spawn(io, drive_client(s, peer, [this] { return answered(); }),
                       [this](std::exception_ptr e)
                       {
                           client_error = e;
                           client_done = true;
                       });
    }

    /** The observers were all told that their streams ended. */
    void check_observers_closed() const
    {
        for (const auto& r : dispatcher.requests)
        {
            CAPTURE(r.id);
            CHECK(r.observer->close_calls == 1);
        }
    }

    void check_answered() const
    {
        REQUIRE(dispatcher.requests.size() == 1);
        CHECK(dispatcher.requests[0].observer->data == "ping");
        const auto& s = peer.streams.at(id);
        CHECK(s.closed);
        CHECK(s.close_error == NGHTTP2_NO_ERROR);
        CHECK(s.header(":status") == "200");
        CHECK(s.body == "pong");
        CHECK(s.trailer("grpc-status") == "0");
    }
};

bool clean_end(error_code ec)
{
    return !ec || ec == asio::error::eof;
}
} // namespace

TEST_SUITE("http2")
{
    TEST_CASE("serve answers a request over a test stream and ends when the client closes")
    {
        std::size_t read_size = 0;
        SUBCASE("whole reads")
        {
            read_size = 0;
        }
        SUBCASE("3-byte reads")
        {
            read_size = 3;
        }

        asio::io_context io;
        beast::test::stream server(io);
        beast::test::stream client(io);
        server.connect(client);
        if (read_size != 0)
            server.read_size(read_size);
        exchange x;
        http2::server_session h2(io.get_executor(), x.cfg, x.dispatcher);
        x.start_client(io, client);

        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, x.cfg));
        CHECK_MESSAGE(clean_end(ec), ec.message());
        rpcplugin::test::run_until(io, [&] { return x.client_done; });
        CHECK_FALSE(x.client_error);
        x.check_answered();
        x.check_observers_closed();
        CHECK(h2.active_streams() == 0);
    }

    TEST_CASE("serve answers a batch of requests read at once and handed over in slices")
    {
        std::size_t slice = 0;
        SUBCASE("no slicing")
        {
            slice = 0;
        }
        SUBCASE("7-byte slices (across frame boundaries)")
        {
            slice = 7;
        }
        SUBCASE("100-byte slices")
        {
            slice = 100;
        }

        asio::io_context io;
        beast::test::stream server(io);
        beast::test::stream client(io);
        server.connect(client);
        http2::settings cfg;
        cfg.read_slice = slice;
        fake_dispatcher dispatcher;
        dispatcher.answer = rpcplugin::test::respond_at_end("pong", {{"grpc-status", "0"}});
        h2_peer peer;
        std::vector<std::int32_t> ids;
        for (int i = 0; i < 20; ++i)
        {
            ids.push_back(peer.post("/s/m"));
            peer.send(ids.back(), "ping " + std::to_string(i), true);
        }
        bool client_done = false;
        auto all_answered = [&]
        {
            for (auto id : ids)
                if (!peer.streams.at(id).closed)
                    return false;
            return true;
        };
        // The whole batch (preface, SETTINGS, 20 requests) goes out in one write.
        asio::co_spawn(io, drive_client(client, peer, all_answered),
                       [&](std::exception_ptr) { client_done = true; });
        http2::server_session h2(io.get_executor(), cfg, dispatcher);
        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg));
        CHECK_MESSAGE(clean_end(ec), ec.message());
        rpcplugin::test::run_until(io, [&] { return client_done; });
        REQUIRE(dispatcher.requests.size() == ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i)
        {
            CAPTURE(i);
            CHECK(dispatcher.requests[i].observer->data == "ping " + std::to_string(i));
            const auto& st = peer.streams.at(ids[i]);
            CHECK(st.closed);
            CHECK(st.body == "pong");
            CHECK(st.trailer("grpc-status") == "0");
        }
    }

    TEST_CASE("serve ends cleanly with the injected error when any read or write fails")
    {
        std::size_t read_size = 0;
        SUBCASE("whole reads")
        {
            read_size = 0;
        }
        SUBCASE("10-byte reads")
        {
            read_size = 10;
        }

        bool completed = false;
        int failures = 0;
        for (std::size_t i = 0; i < 1000 && !completed; ++i)
        {
            CAPTURE(i);
            asio::io_context io;
            beast::test::fail_count fc(i);
            beast::test::stream server(io, fc);
            beast::test::stream client(io);
            server.connect(client);
            if (read_size != 0)
                server.read_size(read_size);
            exchange x;
            std::optional<http2::server_session> h2(std::in_place, io.get_executor(), x.cfg,
                                                    x.dispatcher);
            x.start_client(io, client);

            auto ec = rpcplugin::test::run(io, http2::serve(server, *h2, x.cfg), 5s);
            rpcplugin::test::run_until(
                io, [&] { return x.client_done; }, 5s);
            CHECK_FALSE(x.client_error);
            CHECK(h2->active_streams() == 0);
            x.check_observers_closed();
            if (ec == beast::test::error::test_failure)
            {
                ++failures;
                h2.reset();
                continue;
            }
            // The countdown outlasted the exchange: this run is the complete one.
            CHECK_MESSAGE(clean_end(ec), ec.message());
            x.check_answered();
            completed = true;
        }
        CHECK(completed);
        CHECK(failures >= 4); // reads and writes before the answer were all exercised
    }

    TEST_CASE("serve gives up on a client that never sends the preface")
    {
        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;
        http2::settings cfg;
        fake_dispatcher dispatcher;
        http2::server_session h2(io.get_executor(), cfg, dispatcher);

        auto start = std::chrono::steady_clock::now();
        std::optional<error_code> ec;
        SUBCASE("after preface_timeout")
        {
            cfg.preface_timeout = 50ms;
            ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg), 5s);
        }
        SUBCASE("at the deadline given by the caller")
        {
            cfg.preface_timeout = 60s; // the deadline (e.g. from accept) takes precedence
            ec = rpcplugin::test::run(
                io, http2::serve(server, h2, cfg, {}, std::chrono::steady_clock::now() + 50ms), 5s);
        }
        CHECK(*ec == transport::errc::handshake_timeout);
        auto elapsed = std::chrono::steady_clock::now() - start;
        CHECK(elapsed >= 50ms);
        CHECK(elapsed < 3s);
        // The server's SETTINGS and a GOAWAY(SETTINGS_TIMEOUT) went out, then it closed.
        auto [rec, bytes] = rpcplugin::test::run(io, read_to_end(b), 5s);
        CHECK(rec == asio::error::eof);
        h2_peer peer;
        CHECK(peer.receive(bytes) == static_cast<long>(bytes.size()));
        CHECK(peer.frames_of(NGHTTP2_SETTINGS).size() == 1);
        auto goaways = peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].error_code == NGHTTP2_SETTINGS_TIMEOUT);
    }

    TEST_CASE("serve continues from bytes that were already read by protocol detection")
    {
        asio::io_context io;
        beast::test::stream server(io);
        beast::test::stream client(io);
        server.connect(client);
        exchange x;
        http2::server_session h2(io.get_executor(), x.cfg, x.dispatcher);

        auto first = x.peer.take_output();
        REQUIRE(first.size() > 30);
        std::vector<unsigned char> initial(first.begin(), first.begin() + 10); // mid-preface
        client.write_some(asio::buffer(first.data() + 10, first.size() - 10));
        x.start_client(io, client);

        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, x.cfg, initial));
        CHECK_MESSAGE(clean_end(ec), ec.message());
        rpcplugin::test::run_until(io, [&] { return x.client_done; });
        x.check_answered();
    }

    TEST_CASE("serve stops at once when the initial bytes are not HTTP/2")
    {
        asio::io_context io;
        beast::test::stream server(io);
        beast::test::stream client(io);
        server.connect(client);
        http2::settings cfg;
        fake_dispatcher dispatcher;
        http2::server_session h2(io.get_executor(), cfg, dispatcher);
        std::string_view http1 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        std::vector<unsigned char> initial(http1.begin(), http1.end());

        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg, initial));
        CHECK(ec.category() == http2::nghttp2_category());
        CHECK(ec.value() == NGHTTP2_ERR_BAD_CLIENT_MAGIC);
        auto [rec, bytes] = rpcplugin::test::run(io, read_to_end(client));
        CHECK(rec == asio::error::eof); // the server closed its end
    }

    TEST_CASE("serve ends after terminate() from a handler once the GOAWAY is written")
    {
        asio::io_context io;
        beast::test::stream server(io);
        beast::test::stream client(io);
        server.connect(client);
        http2::settings cfg;
        fake_dispatcher dispatcher;
        dispatcher.answer = [](http2::server_session& s, fake_dispatcher::request&)
        { s.terminate(NGHTTP2_ENHANCE_YOUR_CALM); };
        http2::server_session h2(io.get_executor(), cfg, dispatcher);
        h2_peer peer;
        auto id = peer.post("/s/m", true);
        bool client_done = false;
        asio::co_spawn(io, drive_client(client, peer, [] { return false; }),
                       [&](std::exception_ptr) { client_done = true; });

        auto ec = rpcplugin::test::run(io, http2::serve(server, h2, cfg));
        CHECK_FALSE(ec); // a clean end: we chose to close
        rpcplugin::test::run_until(io, [&] { return client_done; });
        auto goaways = peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].error_code == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(goaways[0].last_stream_id == id);
        CHECK(dispatcher.observer(id).close_calls == 1);
    }

    TEST_CASE("serve ends after terminate() while it waits for the client")
    {
        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;
        http2::settings cfg;
        fake_dispatcher dispatcher;
        http2::server_session h2(io.get_executor(), cfg, dispatcher);
        h2_peer peer;
        auto id = peer.post("/s/m"); // stays open: the server waits for more
        bool client_done = false;
        asio::co_spawn(io, drive_client(b, peer, [] { return false; }),
                       [&](std::exception_ptr) { client_done = true; });
        std::optional<error_code> result;
        asio::co_spawn(io, http2::serve(server, h2, cfg),
                       [&](std::exception_ptr e, error_code ec)
                       {
                           CHECK_FALSE(e);
                           result = ec;
                       });
        rpcplugin::test::run_until(io, [&] { return dispatcher.requests.size() == 1; });

        h2.terminate(NGHTTP2_NO_ERROR); // e.g. the server shuts down
        rpcplugin::test::run_until(io, [&] { return result.has_value() && client_done; });
        // The writer closes the stream after the GOAWAY, which aborts the pending read.
        CHECK_MESSAGE((!*result || *result == asio::error::operation_aborted), result->message());
        auto goaways = peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].last_stream_id == id);
        CHECK(goaways[0].error_code == NGHTTP2_NO_ERROR);
        CHECK(dispatcher.observer(id).close_calls == 1);
        CHECK(dispatcher.observer(id).close_code == http2::connection_lost);
    }

    TEST_CASE("serve returns on terminal cancellation, closes the stream and cancels open streams")
    {
        bool pending_output = false;
        SUBCASE("while idle")
        {
            pending_output = false;
        }
        SUBCASE("with frames waiting to be written")
        {
            pending_output = true;
        }

        asio::io_context io;
        auto pair = rpcplugin::test::connect_stream_pair(io);
        auto& server = pair.stream;
        auto& b = pair.peer;
        http2::settings cfg;
        fake_dispatcher dispatcher;
        http2::server_session h2(io.get_executor(), cfg, dispatcher);
        h2_peer peer;
        auto id = peer.post("/s/m");
        peer.send(id, "partial"); // the request stays open
        bool client_done = false;
        asio::co_spawn(io, drive_client(b, peer, [] { return false; }),
                       [&](std::exception_ptr) { client_done = true; });

        asio::cancellation_signal sig;
        bool serve_done = false;
        std::exception_ptr serve_error;
        error_code serve_ec;
        asio::co_spawn(io, http2::serve(server, h2, cfg),
                       asio::bind_cancellation_slot(sig.slot(),
                                                    [&](std::exception_ptr e, error_code ec)
                                                    {
                                                        serve_error = e;
                                                        serve_ec = ec;
                                                        serve_done = true;
                                                    }));
        rpcplugin::test::run_until(io,
                                   [&]
                                   {
                                       return dispatcher.requests.size() == 1 &&
                                              dispatcher.observer(id).data == "partial" &&
                                              !h2.want_write();
                                   });

        if (pending_output)
            h2.reset(id, NGHTTP2_CANCEL); // an RST_STREAM is queued and the writer woken
        sig.emit(asio::cancellation_type::terminal);
        rpcplugin::test::run_until(io, [&] { return serve_done; });
        std::string thrown;
        if (serve_error)
        {
            try
            {
                std::rethrow_exception(serve_error);
            }
            catch (const std::exception& e)
            {
                thrown = e.what();
            }
        }
        CHECK_MESSAGE(thrown.empty(), "serve threw instead of returning an error_code: " << thrown);
        CHECK(serve_ec);
        CHECK(dispatcher.observer(id).close_calls == 1);
        // The stream was closed on return: the client sees the end while `server` lives.
        rpcplugin::test::run_until(
            io, [&] { return client_done; }, 5s);
    }
}
