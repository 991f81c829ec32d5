#include "rpcplugin/http2/server_session.hpp"

#include "raw_frames.hpp"
#include "rpcplugin/http2/error.hpp"
#include "support/h2_fakes.hpp"
#include "support/h2_peer.hpp"

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
namespace http2 = rpcplugin::http2;
using rpcplugin::test::fake_dispatcher;
using rpcplugin::test::fake_observer;
using rpcplugin::test::h2_peer;
using rpcplugin::test::pump;

namespace
{
/** A server session with a fake dispatcher and a client peer, connected by `pump`. */
struct fixture
{
    asio::io_context io;
    http2::settings cfg;
    fake_dispatcher dispatcher;
    h2_peer peer;
    std::unique_ptr<http2::server_session> session;

    explicit fixture(http2::settings s = {})
        : cfg(s)
        , session(std::make_unique<http2::server_session>(io.get_executor(), cfg, dispatcher))
    {
    }

    /** Pumps and requires that the session saw no error. */
    void exchange()
    {
        auto ec = pump(peer, *session);
        REQUIRE_MESSAGE(!ec, ec.message());
        REQUIRE(peer.last_error == 0);
    }

    /** Connection set up: preface and SETTINGS both ways. */
    void connect() { exchange(); }
};

std::string pattern(std::size_t size, unsigned seed)
{
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761u + 1;
    for (char& c : out)
    {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>('a' + (state >> 24) % 26);
    }
    return out;
}

std::size_t list_size(const std::vector<http2::header>& headers)
{
    std::size_t n = 0;
    for (const auto& h : headers)
        n += h.name.size() + h.value.size() + 32;
    return n;
}

std::map<std::int32_t, std::uint32_t> settings_of(const rpcplugin::test::frame_record& f)
{
    std::map<std::int32_t, std::uint32_t> out;
    for (const auto& e : f.settings)
        out[e.settings_id] = e.value;
    return out;
}

std::vector<http2::header> grpc_request(std::string path)
{
    return {{":method", "POST"},
            {":scheme", "http"},
            {":authority", "localhost"},
            {":path", std::move(path)},
            {"content-type", "application/grpc"},
            {"te", "trailers"}};
}
} // namespace

TEST_SUITE("http2")
{
    TEST_CASE("server_session advertises its SETTINGS and opens the connection window")
    {
        fixture f;
        CHECK_FALSE(f.session->preface_received());
        CHECK(f.session->want_write()); // SETTINGS are queued from the start
        f.connect();
        CHECK(f.session->preface_received());

        auto settings = f.peer.frames_of(NGHTTP2_SETTINGS);
        REQUIRE(settings.size() >= 1);
        REQUIRE_FALSE(settings[0].has(NGHTTP2_FLAG_ACK));
        auto values = settings_of(settings[0]);
        CHECK(values[NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS] == 100);
        CHECK(values[NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE] == 16 * 1024);
        CHECK(values[NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE] == 1024 * 1024);
        // Our SETTINGS were acknowledged by the peer's, and the peer's by ours.
        CHECK(f.peer.frames_of(NGHTTP2_SETTINGS).back().has(NGHTTP2_FLAG_ACK));

        auto updates = f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, 0);
        REQUIRE(updates.size() == 1);
        CHECK(updates[0].window_increment == 8 * 1024 * 1024 - 65535);
        CHECK(f.peer.connection_send_window() == 8 * 1024 * 1024);
    }

    TEST_CASE("server_session advertises configured limits, not constants")
    {
        http2::settings cfg;
        cfg.max_concurrent_streams = 7;
        cfg.max_header_list_size = 2000;
        cfg.stream_window = 70000;
        cfg.connection_window = 65535; // the default: no WINDOW_UPDATE
        fixture f(cfg);
        f.connect();
        auto values = settings_of(f.peer.frames_of(NGHTTP2_SETTINGS).at(0));
        CHECK(values[NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS] == 7);
        CHECK(values[NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE] == 2000);
        CHECK(values[NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE] == 70000);
        CHECK(f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, 0).empty());
        CHECK(nghttp2_session_get_remote_settings(f.peer.native(),
                                                  NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS) == 7);
    }

    TEST_CASE("server_session delivers a request head with method, path and fields in order")
    {
        fixture f;
        f.connect();
        std::vector<http2::header> headers = {{":method", "POST"},
                                              {":scheme", "https"},
                                              {":authority", "example.com:50051"},
                                              {":path", "/pkg.Service/Method"},
                                              {"content-type", "application/grpc+proto"},
                                              {"te", "trailers"},
                                              {"x-custom", "one"},
                                              {"x-custom", "two"},
                                              {"grpc-timeout", "1S"}};
        auto id = f.peer.request(headers, false);
        f.exchange();

        REQUIRE(f.dispatcher.requests.size() == 1);
        const auto& r = f.dispatcher.requests[0];
        CHECK(r.id == id);
        CHECK_FALSE(r.end_stream);
        CHECK(r.head.method == "POST");
        CHECK(r.head.scheme == "https");
        CHECK(r.head.authority == "example.com:50051");
        CHECK(r.head.path == "/pkg.Service/Method");
        CHECK_FALSE(r.head.too_large);
        CHECK(r.head.list_size == list_size(headers));
        REQUIRE(r.head.fields.size() == 5);
        CHECK(r.head.fields[0].name == "content-type");
        CHECK(r.head.fields[0].value == "application/grpc+proto");
        CHECK(r.head.fields[1].name == "te");
        CHECK(r.head.fields[2].name == "x-custom");
        CHECK(r.head.fields[2].value == "one");
        CHECK(r.head.fields[3].value == "two");
        CHECK(r.head.fields[4].name == "grpc-timeout");
        CHECK(f.session->active_streams() == 1);
        CHECK_FALSE(f.session->remote_closed(id));
    }

    TEST_CASE("server_session reports END_STREAM on a header-only request")
    {
        fixture f;
        f.connect();
        auto id = f.peer.request(
            {{":method", "GET"}, {":scheme", "http"}, {":authority", "h"}, {":path", "/status"}},
            true);
        f.exchange();
        REQUIRE(f.dispatcher.requests.size() == 1);
        CHECK(f.dispatcher.requests[0].end_stream);
        CHECK(f.dispatcher.requests[0].head.method == "GET");
        CHECK(f.session->remote_closed(id));
        CHECK(f.dispatcher.observer(id).end_stream_calls == 0); // told through end_stream
    }

    TEST_CASE("server_session marks a header list over the limit as too large, at the exact byte")
    {
        fixture f;
        f.connect();
        auto headers = grpc_request("/s/m");
        std::size_t base = list_size(headers) + std::string_view("x-pad").size() + 32;

        SUBCASE("exactly at the limit")
        {
            headers.push_back({"x-pad", std::string(16 * 1024 - base, 'p')});
            f.peer.request(headers, true);
            f.exchange();
            REQUIRE(f.dispatcher.requests.size() == 1);
            const auto& head = f.dispatcher.requests[0].head;
            CHECK(head.list_size == 16 * 1024);
            CHECK_FALSE(head.too_large);
            CHECK(head.fields.size() == 3);
        }
        SUBCASE("one byte over")
        {
            headers.push_back({"x-pad", std::string(16 * 1024 - base + 1, 'p')});
            f.peer.request(headers, true);
            f.exchange();
            REQUIRE(f.dispatcher.requests.size() == 1);
            const auto& head = f.dispatcher.requests[0].head;
            CHECK(head.list_size == 16 * 1024 + 1);
            CHECK(head.too_large);
            CHECK(head.path == "/s/m");
            CHECK(head.fields.size() == 2); // the field past the limit was dropped
        }
    }

    TEST_CASE("server_session keeps decoding headers past the limit, so later requests decode")
    {
        fixture f;
        f.connect();
        // Many mid-sized fields: HPACK indexes them, so the second request refers to the
        // dynamic table that the first one filled, including entries past the limit.
        auto headers = grpc_request("/big");
        for (int i = 0; i < 40; ++i)
            headers.push_back(
                {"x-field-" + std::to_string(i), pattern(500, static_cast<unsigned>(i))});
        f.peer.request(headers, true);
        f.peer.request(headers, true);
        auto small = grpc_request("/small");
        small.push_back({"x-field-39", pattern(500, 39)});
        f.peer.request(small, true);
        f.exchange();

        REQUIRE(f.dispatcher.requests.size() == 3);
        const auto& first = f.dispatcher.requests[0].head;
        const auto& second = f.dispatcher.requests[1].head;
        CHECK(first.too_large);
        CHECK(second.too_large);
        CHECK(first.list_size == list_size(headers));
        CHECK(second.list_size == list_size(headers));
        CHECK(first.fields.size() < 40);
        REQUIRE(second.fields.size() == first.fields.size());
        for (std::size_t i = 0; i < first.fields.size(); ++i)
        {
            CHECK(second.fields[i].name == first.fields[i].name);
            CHECK(second.fields[i].value == first.fields[i].value);
        }
        const auto& third = f.dispatcher.requests[2].head;
        CHECK_FALSE(third.too_large);
        CHECK(third.path == "/small");
        REQUIRE(third.fields.size() == 3);
        CHECK(third.fields[2].value == pattern(500, 39));
    }

    TEST_CASE(
        "server_session delivers the body through on_data and END_STREAM through on_end_stream")
    {
        fixture f;
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        REQUIRE(f.dispatcher.requests.size() == 1);
        auto& obs = f.dispatcher.observer(id);
        CHECK(obs.data.empty());

        auto body = pattern(100000, 1);
        f.peer.send(id, std::string_view(body).substr(0, 30000));
        f.exchange();
        CHECK(obs.data == body.substr(0, 30000));
        CHECK(obs.end_stream_calls == 0);
        CHECK_FALSE(f.session->remote_closed(id));

        f.peer.send(id, std::string_view(body).substr(30000), true);
        f.exchange();
        CHECK(obs.data == body);
        CHECK(obs.data_calls >= 7); // 16 KiB DATA frames
        CHECK(obs.end_stream_calls == 1);
        CHECK(f.session->remote_closed(id));
        CHECK(obs.close_calls == 0); // our side has not answered yet
    }

    TEST_CASE("server_session reports request trailers as the end of the stream")
    {
        fixture f;
        f.connect();
        auto id = f.peer.post("/s/m");
        f.peer.send(id, "payload", true, {{"x-trailer", "t"}});
        f.exchange();
        auto& obs = f.dispatcher.observer(id);
        CHECK(obs.data == "payload");
        CHECK(obs.end_stream_calls == 1);
        CHECK(f.session->remote_closed(id));
    }

    TEST_CASE("server_session sends a response with body and trailers to the client")
    {
        fixture f;
        auto body = pattern(40000, 2); // several DATA frames
        f.dispatcher.answer =
            rpcplugin::test::respond_with(body, {{"grpc-status", "0"}, {"grpc-message", "fine"}});
        f.connect();
        auto id = f.peer.post("/s/m");
        f.peer.send(id, "request", true);
        f.exchange();

        const auto& s = f.peer.streams.at(id);
        CHECK(s.header(":status") == "200");
        CHECK(s.header("content-type") == "application/grpc");
        CHECK(s.body == body);
        REQUIRE(s.trailers.size() == 2);
        CHECK(s.trailer("grpc-status") == "0");
        CHECK(s.trailer("grpc-message") == "fine");
        CHECK(s.closed);
        CHECK(s.close_error == NGHTTP2_NO_ERROR);

        // The trailers end the stream; no DATA frame does.
        for (const auto& d : f.peer.frames_of(NGHTTP2_DATA, id))
            CHECK_FALSE(d.has(NGHTTP2_FLAG_END_STREAM));
        auto heads = f.peer.frames_of(NGHTTP2_HEADERS, id);
        REQUIRE(heads.size() == 2);
        CHECK(heads.back().has(NGHTTP2_FLAG_END_STREAM));

        auto& obs = f.dispatcher.observer(id);
        CHECK(obs.trailer_calls == 1);
        CHECK(obs.close_calls == 1);
        CHECK(obs.close_code == NGHTTP2_NO_ERROR);
        CHECK(f.session->active_streams() == 0);
    }

    TEST_CASE("server_session ends a response without trailers with END_STREAM on DATA")
    {
        fixture f;
        f.dispatcher.answer = rpcplugin::test::respond_with("plain body", {});
        f.connect();
        auto id = f.peer.post("/s/m", true);
        f.exchange();
        const auto& s = f.peer.streams.at(id);
        CHECK(s.body == "plain body");
        CHECK(s.trailers.empty());
        CHECK(s.closed);
        auto data = f.peer.frames_of(NGHTTP2_DATA, id);
        REQUIRE_FALSE(data.empty());
        CHECK(data.back().has(NGHTTP2_FLAG_END_STREAM));
    }

    TEST_CASE("server_session defers a response body until resume()")
    {
        fixture f;
        f.dispatcher.answer = [](http2::server_session& s, fake_dispatcher::request& r)
        {
            r.observer->body_done = false; // nothing to send yet
            const http2::header headers[] = {{":status", "200"}};
            REQUIRE_FALSE(s.respond(r.id, headers, true));
        };
        f.connect();
        auto id = f.peer.post("/s/m", true);
        f.exchange();
        auto& obs = f.dispatcher.observer(id);
        const auto& s = f.peer.streams.at(id);
        CHECK(s.header(":status") == "200");
        CHECK(s.body.empty());
        CHECK_FALSE(s.closed);
        int calls = obs.read_calls;
        CHECK(calls >= 1);

        f.exchange(); // a deferred stream is not polled again
        CHECK(obs.read_calls == calls);

        obs.push("first ");
        f.exchange();
        CHECK(s.body == "first ");
        CHECK_FALSE(s.closed);

        obs.push("second", true, {{"grpc-status", "0"}});
        f.exchange();
        CHECK(s.body == "first second");
        CHECK(s.trailer("grpc-status") == "0");
        CHECK(s.closed);
        CHECK(obs.close_calls == 1);
    }

    TEST_CASE("server_session holds the stream window until consume(), then sends WINDOW_UPDATE")
    {
        http2::settings cfg;
        cfg.stream_window = 32768;
        fixture f(cfg);
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        auto& obs = f.dispatcher.observer(id);
        obs.auto_consume = false;

        auto body = pattern(40000, 3);
        f.peer.send(id, body, true);
        f.exchange();
        // Backpressure: the peer stopped at the window, and waits.
        CHECK(obs.data.size() == 32768);
        CHECK(f.peer.stream_send_window(id) == 0);
        CHECK(obs.end_stream_calls == 0);
        CHECK(f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, id).empty());
        f.exchange();
        CHECK(obs.data.size() == 32768);

        f.session->consume(id, 32768);
        f.exchange();
        auto updates = f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, id);
        REQUIRE(updates.size() == 1);
        CHECK(updates[0].window_increment == 32768);
        CHECK(obs.data == body);
        CHECK(obs.end_stream_calls == 1);
    }

    TEST_CASE("server_session holds the connection window until consume()")
    {
        http2::settings cfg;
        cfg.connection_window = 65535; // the protocol default: no initial WINDOW_UPDATE
        fixture f(cfg);
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        auto& obs = f.dispatcher.observer(id);
        obs.auto_consume = false;

        auto body = pattern(100000, 4);
        f.peer.send(id, body, true);
        f.exchange();
        CHECK(obs.data.size() == 65535);
        CHECK(f.peer.connection_send_window() == 0);
        CHECK(f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, 0).empty());

        f.session->consume(id, obs.data.size());
        f.exchange();
        CHECK_FALSE(f.peer.frames_of(NGHTTP2_WINDOW_UPDATE, 0).empty());
        CHECK(obs.data == body);
        CHECK(obs.end_stream_calls == 1);
    }

    TEST_CASE("server_session acknowledges the body of a request that has no observer")
    {
        http2::settings cfg;
        cfg.connection_window = 65535;
        fixture f(cfg);
        f.dispatcher.null_observer = true; // "answered itself", later
        f.connect();
        auto id = f.peer.post("/s/m");
        auto body = pattern(150000, 5); // more than the connection window
        f.peer.send(id, body, true);
        f.exchange();
        CHECK(f.peer.streams.at(id).sent == body.size()); // nothing is held back
        CHECK(f.session->remote_closed(id));

        const http2::header headers[] = {{":status", "404"}};
        REQUIRE_FALSE(f.session->respond(id, headers, false));
        f.exchange();
        CHECK(f.peer.streams.at(id).header(":status") == "404");
        CHECK(f.peer.streams.at(id).closed);
    }

    TEST_CASE("server_session closes the observer with CANCEL when the client resets the stream")
    {
        fixture f;
        f.connect();
        auto id = f.peer.post("/s/m");
        f.peer.send(id, "partial");
        f.exchange();
        auto& obs = f.dispatcher.observer(id);
        CHECK(obs.close_calls == 0);

        f.peer.reset(id, NGHTTP2_CANCEL);
        f.exchange();
        CHECK(obs.close_calls == 1);
        CHECK(obs.close_code == NGHTTP2_CANCEL);
        CHECK(obs.end_stream_calls == 0);
        CHECK(f.session->active_streams() == 0);
    }

    TEST_CASE("server_session resets a client that still sends after the response ended")
    {
        fixture f;
        f.dispatcher.answer = [](http2::server_session& s, fake_dispatcher::request& r)
        {
            // An early status: Trailers-Only while the request body is still coming.
            const http2::header headers[] = {{":status", "200"}, {"grpc-status", "12"}};
            REQUIRE_FALSE(s.respond(r.id, headers, false));
        };
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        const auto& s = f.peer.streams.at(id);
        CHECK(s.header("grpc-status") == "12");
        auto resets = f.peer.frames_of(NGHTTP2_RST_STREAM, id);
        REQUIRE(resets.size() == 1);
        CHECK(resets[0].error_code == NGHTTP2_NO_ERROR);
        CHECK(s.closed);
        CHECK(f.dispatcher.observer(id).close_calls == 1);
    }

    TEST_CASE("server_session close_all_streams closes every observer exactly once")
    {
        http2::settings cfg;
        cfg.connection_window = 65535;
        fixture f(cfg);
        f.connect();
        auto a = f.peer.post("/s/a");
        auto b = f.peer.post("/s/b");
        f.exchange();
        REQUIRE(f.session->active_streams() == 2);
        auto& oa = f.dispatcher.observer(a);
        auto& ob = f.dispatcher.observer(b);
        oa.auto_consume = false;
        ob.auto_consume = false;

        f.session->close_all_streams(NGHTTP2_CANCEL);
        CHECK(f.session->active_streams() == 0);
        CHECK(oa.close_calls == 1);
        CHECK(oa.close_code == NGHTTP2_CANCEL);
        CHECK(ob.close_calls == 1);
        CHECK(ob.close_code == NGHTTP2_CANCEL);

        // Bytes still arriving for those streams reach no observer and are acknowledged,
        // so the connection window does not leak (2 x 40000 > 65535).
        f.peer.send(a, pattern(40000, 6), true);
        f.peer.send(b, pattern(40000, 7), true);
        f.exchange();
        CHECK(oa.data.empty());
        CHECK(ob.data.empty());
        CHECK(f.peer.streams.at(a).sent == 40000);
        CHECK(f.peer.streams.at(b).sent == 40000);

        // When nghttp2 closes the streams later, the observers are not told twice.
        f.peer.reset(a, NGHTTP2_CANCEL);
        f.peer.reset(b, NGHTTP2_CANCEL);
        f.exchange();
        CHECK(oa.close_calls == 1);
        CHECK(ob.close_calls == 1);
    }

    TEST_CASE("server_session destruction closes the observers of open streams")
    {
        fixture f;
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        auto obs = f.dispatcher.requests.at(0).observer;
        REQUIRE(obs);
        f.session.reset();
        CHECK(obs->close_calls == 1);
        CHECK(obs->close_code == NGHTTP2_CANCEL);
        CHECK(f.dispatcher.requests.at(0).id == id);
    }

    TEST_CASE(
        "server_session shutdown_notice then goaway send GOAWAY with the right last stream id")
    {
        fixture f;
        f.connect();
        auto first = f.peer.post("/s/a");
        f.exchange();
        auto deliver_to_server = [&]
        {
            auto bytes = f.peer.take_output();
            REQUIRE_FALSE(f.session->receive(bytes, std::chrono::steady_clock::now()));
        };
        auto take_from_server = [&]
        {
            std::vector<unsigned char> out;
            REQUIRE_FALSE(f.session->produce(out, 1 << 20));
            return out;
        };

        f.session->shutdown_notice();
        auto notice = take_from_server();
        // A request that crosses the notice on the wire is still accepted.
        auto second = f.peer.post("/s/b");
        deliver_to_server();
        REQUIRE(f.dispatcher.requests.size() == 2);
        CHECK(f.dispatcher.requests[1].id == second);
        f.peer.receive(notice);
        auto goaways = f.peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].last_stream_id == 0x7fffffff);
        CHECK(goaways[0].error_code == NGHTTP2_NO_ERROR);
        f.exchange();

        f.session->goaway();
        auto final_goaway = take_from_server();
        // A request that crosses the final GOAWAY is ignored by the server ...
        auto third = f.peer.post("/s/c", true);
        deliver_to_server();
        CHECK(f.dispatcher.requests.size() == 2);
        f.peer.receive(final_goaway);
        goaways = f.peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 2);
        CHECK(goaways[1].last_stream_id == second);
        CHECK(goaways[1].error_code == NGHTTP2_NO_ERROR);
        // ... and the client learns from the last stream id that it may retry it.
        f.exchange();
        CHECK(f.peer.streams.at(third).closed);
        CHECK(f.peer.streams.at(third).close_error == NGHTTP2_REFUSED_STREAM);

        // The accepted streams still finish, then the session is done.
        for (auto id : {first, second})
        {
            auto& obs = f.dispatcher.observer(id);
            obs.body = "done";
            const http2::header headers[] = {{":status", "200"}};
            REQUIRE_FALSE(f.session->respond(id, headers, true));
        }
        f.peer.send(first, "", true);
        f.peer.send(second, "", true);
        CHECK(f.session->want_read());
        f.exchange();
        CHECK(f.peer.streams.at(first).body == "done");
        CHECK(f.peer.streams.at(second).body == "done");
        CHECK(f.peer.streams.at(second).closed);
        CHECK_FALSE(f.session->want_read());
        CHECK_FALSE(f.session->want_write());
    }

    TEST_CASE("server_session terminate sends GOAWAY with its error code and stops reading")
    {
        fixture f;
        f.connect();
        auto id = f.peer.post("/s/m");
        f.exchange();
        CHECK(f.session->want_read());

        f.session->terminate(NGHTTP2_ENHANCE_YOUR_CALM);
        f.exchange();
        auto goaways = f.peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].last_stream_id == id);
        CHECK(goaways[0].error_code == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK_FALSE(f.session->want_read());
        CHECK_FALSE(f.session->want_write());
    }

    TEST_CASE("server_session refuses streams beyond MAX_CONCURRENT_STREAMS")
    {
        fixture f;
        // A client that assumes no limit sends all 101 HEADERS before it sees our SETTINGS.
        h2_peer greedy({}, 1000);
        auto session =
            std::make_unique<http2::server_session>(f.io.get_executor(), f.cfg, f.dispatcher);
        std::vector<std::int32_t> ids;
        for (int i = 0; i < 101; ++i)
            ids.push_back(greedy.post("/s/m"));
        REQUIRE_FALSE(pump(greedy, *session));
        CHECK(f.dispatcher.requests.size() == 100);
        CHECK(session->active_streams() == 100);
        const auto& last = greedy.streams.at(ids.back());
        CHECK(last.closed);
        CHECK(last.close_error == NGHTTP2_REFUSED_STREAM);
        CHECK_FALSE(greedy.streams.at(ids.front()).closed);
    }

    TEST_CASE("server_session: a client that respects the limit waits for a free stream")
    {
        fixture f;
        std::vector<std::int32_t> ids;
        for (int i = 0; i < 101; ++i)
            ids.push_back(f.peer.post("/s/m"));
        f.exchange();
        CHECK(f.dispatcher.requests.size() == 100);
        CHECK_FALSE(f.peer.streams.at(ids.back()).closed);
        f.peer.reset(ids.front(), NGHTTP2_CANCEL);
        f.exchange();
        REQUIRE(f.dispatcher.requests.size() == 101);
        CHECK(f.dispatcher.requests.back().id == ids.back());
    }

    TEST_CASE(
        "server_session answers bytes that are not the HTTP/2 preface with GOAWAY(PROTOCOL_ERROR)")
    {
        fixture f;
        std::string_view junk = "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n";
        auto ec =
            f.session->receive({reinterpret_cast<const unsigned char*>(junk.data()), junk.size()},
                               std::chrono::steady_clock::now());
        REQUIRE(ec);
        CHECK(ec.category() == http2::nghttp2_category());
        CHECK(ec.value() == NGHTTP2_ERR_BAD_CLIENT_MAGIC);
        CHECK_FALSE(f.session->preface_received());
        CHECK(f.dispatcher.requests.empty());
        // RFC 9113 section 3.4: a connection error of type PROTOCOL_ERROR, said with GOAWAY.
        auto frames = rpcplugin::test::raw::drain(*f.session);
        auto goaways = rpcplugin::test::raw::of_type(frames, NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 1);
        CHECK(goaways[0].goaway_code() == NGHTTP2_PROTOCOL_ERROR);
        CHECK(goaways[0].goaway_last_id() == 0);
        CHECK(goaways[0].goaway_debug() == "invalid connection preface");
    }

    TEST_CASE("server_session fails with errc::internal when the dispatcher throws")
    {
        fixture f;
        f.connect();
        f.dispatcher.throw_on_request = true;
        f.peer.post("/s/m", true);
        auto ec = pump(f.peer, *f.session);
        CHECK(ec == http2::errc::internal);
        CHECK(ec.category() == http2::http2_category());
    }

    TEST_CASE("server_session fails with errc::internal when an observer throws in read_body")
    {
        fixture f;
        f.dispatcher.answer = [](http2::server_session& s, fake_dispatcher::request& r)
        {
            r.observer->throw_in_read = true;
            const http2::header headers[] = {{":status", "200"}};
            REQUIRE_FALSE(s.respond(r.id, headers, true));
        };
        f.connect();
        f.peer.post("/s/m", true);
        auto ec = pump(f.peer, *f.session);
        CHECK(ec == http2::errc::internal);
    }
}

TEST_SUITE("http2")
{
    // Found by test/fuzz (fuzz_connection, a 30-minute run): nghttp2 fixes a GOAWAY's last
    // stream id when it is queued but stops taking new streams only once it is written, so
    // a request arriving in between raised the id of the next GOAWAY (terminate), and the
    // client rejected it with PROTOCOL_ERROR.
    TEST_CASE("RFC 9113 section 6.8: a later GOAWAY never raises the last stream id, and a "
              "request above a queued GOAWAY is not processed")
    {
        fixture f;
        f.connect();
        f.peer.request(grpc_request("/t.S/First"), true); // stream 1
        f.exchange();
        REQUIRE(f.dispatcher.requests.size() == 1);

        f.session->goaway(NGHTTP2_NO_ERROR); // queued, last stream id 1, not yet written
        auto second = f.peer.request(grpc_request("/t.S/Second"), true); // stream 3
        auto out = f.peer.take_output();
        REQUIRE_FALSE(f.session->receive(out, http2::server_session::clock::now()));
        f.session->terminate(NGHTTP2_ENHANCE_YOUR_CALM);
        pump(f.peer, *f.session);

        CHECK(f.dispatcher.requests.size() == 1); // stream 3 never reached the dispatcher
        auto goaways = f.peer.frames_of(NGHTTP2_GOAWAY);
        REQUIRE(goaways.size() == 2);
        CHECK(goaways[0].last_stream_id == 1);
        CHECK(goaways[1].last_stream_id == 1);
        CHECK(goaways[1].error_code == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(f.peer.frames_of(NGHTTP2_HEADERS, second).empty());
        CHECK(f.peer.errors.empty()); // the client found nothing invalid
    }
}
