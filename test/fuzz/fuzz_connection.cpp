// Fuzz harness: a structured connection script. The input is a sequence of actions of a
// well-behaved HTTP/2 client (an nghttp2 client session: open streams with gRPC headers,
// send messages, end, reset, WINDOW_UPDATE, SETTINGS, PING, GOAWAY), of the network
// (deliver some bytes either way, let the server write one batch), of the server (run
// ready handlers, drain notices, GOAWAY, terminate) and of scripted handlers (read,
// write, metadata, compression, finish, return, throw), in any order. They drive a
// `http2::server_session` with the real gRPC dispatcher on an io_context polled by the
// harness (no sockets, no clock: only "1n" and "1000H" deadlines are sent).
//
// Invariants (a violation aborts):
//  1. the client never sees invalid HTTP/2 from the server: it never resets a stream or
//     closes the connection with PROTOCOL_ERROR, FLOW_CONTROL_ERROR, FRAME_SIZE_ERROR or
//     COMPRESSION_ERROR, and its session never fails (unless the script injected a raw
//     frame the client knows nothing of);
//  2. the session either stays valid or ends with a GOAWAY: a failed `receive` (other
//     than a PING/SETTINGS flood the client does not read) and a finished session are
//     accompanied by a GOAWAY from one side;
//  3. every stream the server ends normally carries a status: a `:status`, and for a gRPC
//     response a numeric grpc-status in the trailers or the Trailers-Only headers;
//  4. when the connection is lost every handler ends, every server_context is freed and no
//     stream is left (LeakSanitizer checks the rest); scripted handlers still waiting for
//     a command get a last round of call operations on their closed call, then return.
//
// Script format: three configuration bytes, then actions; `input.hpp` reads them, and
// missing bytes read as zero. test/fuzz/make_seeds.py writes scripts from recorded
// interop traffic in the same format (keep the two in step).
#include "fuzz/support/harness.hpp"
#include "grpc/detail/connection.hpp"
#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "fuzz/support/frame_scanner.hpp"
#include "fuzz/support/fuzz_service.hpp"
#include "support/h2_peer.hpp"
#include "fuzz/support/input.hpp"

#include <boost/asio/io_context.hpp>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace
{
namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;
namespace pb = ::grpc::testing;
using rpcplugin::fuzz::input;

[[noreturn]] void violated(const char* what, long detail = 0)
{
    std::fprintf(stderr, "fuzz_connection: invariant violated: %s (%ld)\n", what, detail);
    std::abort();
}

// RPCPLUGIN_FUZZ_TRACE=1 prints the frames of both directions and the client's view.
bool tracing()
{
    static const bool on = std::getenv("RPCPLUGIN_FUZZ_TRACE") != nullptr;
    return on;
}

void trace_frames(const char* who, const rpcplugin::fuzz::frame_scanner& s)
{
    for (const auto& f : s.frames())
        std::fprintf(stderr, "%s: type %u flags 0x%02x stream %u error %u\n", who, f.type, f.flags,
                     f.stream_id, f.error_code);
}

std::span<const unsigned char> bytes(std::string_view s)
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// --- the tables the script picks from ---------------------------------------------------

enum class method_kind
{
    script,
    unary,
    streaming_input,
    streaming_output,
    full_duplex,
    half_duplex,
    empty,
    echo,
    other,
};

struct method_row
{
    const char* path;
    method_kind kind;
};

constexpr method_row methods[] = {
    {"/fuzz.Script/Call", method_kind::script},
    {"/grpc.testing.TestService/UnaryCall", method_kind::unary},
    {"/grpc.testing.TestService/StreamingInputCall", method_kind::streaming_input},
    {"/grpc.testing.TestService/StreamingOutputCall", method_kind::streaming_output},
    {"/grpc.testing.TestService/FullDuplexCall", method_kind::full_duplex},
    {"/grpc.testing.TestService/HalfDuplexCall", method_kind::half_duplex},
    {"/grpc.testing.TestService/EmptyCall", method_kind::empty},
    {"/fuzz.Echo/Echo", method_kind::echo},
    {"/grpc.testing.TestService/UnimplementedCall", method_kind::other},
    {"/grpc.testing.UnimplementedService/UnimplementedCall", method_kind::other},
    {"no-slash", method_kind::other},
};

constexpr const char* content_types[] = {"application/grpc", "application/grpc+proto",
                                         "application/grpc;charset=utf-8", "text/plain", nullptr};
constexpr const char* timeouts[] = {nullptr, "1n", "1000H", "9x"};
constexpr const char* encodings[] = {nullptr, "identity", "gzip", "deflate", "br"};
constexpr const char* accept_encodings[] = {nullptr, "gzip", "identity,deflate,gzip"};
// Client-side keys, valid HTTP/2 names (nghttp2 would refuse others before we see them).
constexpr const char* client_keys[] = {
    "x-a",     "x-grpc-test-echo-initial", "x-grpc-test-echo-trailing-bin",
    "x-b-bin", "grpc-status-details-bin",  "grpc-custom",
    "x-z"};
// Handler-side keys: what an application might pass, mistakes included.
constexpr const char* handler_keys[] = {
    "x-a", "x-b-bin", "grpc-status-details-bin", "Bad Key", "x-c", "", "content-type", "x-d-bin"};
constexpr std::uint32_t client_reset_codes[] = {NGHTTP2_NO_ERROR, NGHTTP2_CANCEL,
                                                NGHTTP2_INTERNAL_ERROR, NGHTTP2_REFUSED_STREAM,
                                                NGHTTP2_ENHANCE_YOUR_CALM};

bool is_protocol_violation_code(std::uint32_t code)
{
    return code == NGHTTP2_PROTOCOL_ERROR || code == NGHTTP2_FLOW_CONTROL_ERROR ||
           code == NGHTTP2_FRAME_SIZE_ERROR || code == NGHTTP2_COMPRESSION_ERROR;
}

// --- scripted handlers --------------------------------------------------------------------

struct command
{
    int op = 0;
    std::uint32_t size = 0;
    bool flag = false;
    int code = 0;
    std::string key;
    std::string text;
};

struct scripted_call
{
    explicit scripted_call(asio::any_io_executor ex)
        : wake(std::move(ex))
    {
    }
    std::deque<command> commands;
    rpcplugin::detail::waiter wake;
    std::weak_ptr<grpc::server_context> context;
    bool done = false;
};

struct world;
asio::awaitable<grpc::status> scripted_handler(grpc::server_context& ctx, world& w);

// --- the world ------------------------------------------------------------------------------

struct client_stream
{
    std::int32_t id = 0;
    method_kind kind = method_kind::other;
    grpc::encoding enc = grpc::encoding::identity;
    bool ended = false;
    bool reset = false;
};

struct world
{
    asio::io_context io{1};
    rpcplugin::fuzz::liveness live;
    grpc::server srv;
    std::unique_ptr<http2::dispatcher> dispatcher;
    std::unique_ptr<http2::server_session> session;
    std::unique_ptr<rpcplugin::test::h2_peer> peer;
    std::vector<std::shared_ptr<scripted_call>> calls;
    std::vector<client_stream> streams;

    std::vector<unsigned char> to_server;
    std::vector<unsigned char> to_client;
    rpcplugin::fuzz::frame_scanner client_out{24}; // after the preface
    rpcplugin::fuzz::frame_scanner server_out;
    std::size_t write_batch = 64 * 1024;

    boost::system::error_code receive_error;
    bool reader_done = false;
    bool closed = false; // the write loop would have ended: the connection is gone
    bool raw_injected = false;
    bool client_goaway = false;
    int client_errors = 0;
    // The largest SETTINGS_INITIAL_WINDOW_SIZE the client has sent (65535 before any).
    std::int64_t client_max_initial_window = 65535;

    void configure(input& in)
    {
        srv.options().log.set_level(tracing() ? rpcplugin::log_level::debug
                                              : rpcplugin::log_level::off);
        auto& h2 = srv.options().http2;
        std::uint8_t a = in.u8();
        constexpr std::uint32_t streams_table[] = {100, 1, 2, 8};
        constexpr std::uint32_t window_table[] = {1024 * 1024, 16, 1024, 65535};
        h2.max_concurrent_streams = streams_table[a & 3];
        h2.stream_window = window_table[(a >> 2) & 3];
        h2.connection_window = (a >> 4) & 1 ? 65535 : 8 * 1024 * 1024;
        h2.max_header_list_size = (a >> 5) & 1 ? 200 : 16 * 1024;
        std::uint32_t assumed_streams = (a >> 6) & 1 ? 200 : 100;

        std::uint8_t b = in.u8();
        constexpr std::size_t receive_table[] = {4 * 1024 * 1024, 0, 16, 1000};
        constexpr std::size_t send_table[] = {4 * 1024 * 1024, 16, 1000, 4 * 1024 * 1024};
        constexpr std::size_t high_water_table[] = {256 * 1024, 1, 100, 64 * 1024};
        constexpr std::size_t batch_table[] = {64 * 1024, 1, 100, 16 * 1024};
        srv.options().max_receive_message_size = receive_table[b & 3];
        srv.options().max_send_message_size = send_table[(b >> 2) & 3];
        srv.options().write_high_water = high_water_table[(b >> 4) & 3];
        write_batch = batch_table[(b >> 6) & 3];
        h2.write_batch = write_batch;

        std::uint8_t c = in.u8();
        std::vector<nghttp2_settings_entry> settings;
        constexpr std::uint32_t client_window_table[] = {0, 10, 65535, 1u << 20};
        if (c & 1)
        {
            settings.push_back(
                {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, client_window_table[(c >> 1) & 3]});
            client_max_initial_window = std::max<std::int64_t>(client_max_initial_window,
                                                               client_window_table[(c >> 1) & 3]);
        }
        if (c & 8)
            settings.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0});
        if (c & 16)
            settings.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 1u << 20});
        if (c & 32)
            settings.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 100});

        rpcplugin::fuzz::add_fuzz_service(srv, live);
        srv.add_method("/fuzz.Script/Call", grpc::rpc_kind::bidi_streaming,
                       rpcplugin::fuzz::counted(live, [this](grpc::server_context& ctx)
                                                { return scripted_handler(ctx, *this); }));
        dispatcher = grpc::detail::make_dispatcher(srv, io.get_executor(), "fuzz:connection");
        session = std::make_unique<http2::server_session>(io.get_executor(), srv.options().http2,
                                                          *dispatcher);
        peer = std::make_unique<rpcplugin::test::h2_peer>(settings, assumed_streams);
    }

    // --- network -----------------------------------------------------------------------

    bool pull_client()
    {
        auto out = peer->take_output();
        if (out.empty())
            return false;
        client_out.feed(out);
        to_server.insert(to_server.end(), out.begin(), out.end());
        return true;
    }

    void end_reading()
    {
        if (reader_done)
            return;
        reader_done = true;
        // As http2::serve's read loop: nothing more will arrive, cancel the open streams.
        session->close_all_streams(http2::connection_lost);
        session->notify_write();
    }

    bool deliver_server(std::size_t n)
    {
        if (closed || reader_done || to_server.empty())
            return false;
        if (!session->want_read())
        {
            end_reading();
            return false;
        }
        n = n == 0 || n > to_server.size() ? to_server.size() : n;
        auto ec = session->receive({to_server.data(), n}, std::chrono::steady_clock::now());
        to_server.erase(to_server.begin(), to_server.begin() + static_cast<std::ptrdiff_t>(n));
        if (ec)
        {
            receive_error = ec;
            end_reading();
        }
        return true;
    }

    bool server_write()
    {
        if (closed)
            return false;
        std::vector<unsigned char> out;
        auto ec = session->produce(out, write_batch);
        server_out.feed(out);
        to_client.insert(to_client.end(), out.begin(), out.end());
        if (out.empty() && (ec || reader_done || (!session->want_read() && !session->want_write())))
        {
            closed = true;
            end_reading();
        }
        return !out.empty();
    }

    bool deliver_client(std::size_t n)
    {
        if (to_client.empty())
            return false;
        n = n == 0 || n > to_client.size() ? to_client.size() : n;
        long rv = peer->receive({to_client.data(), n});
        to_client.erase(to_client.begin(), to_client.begin() + static_cast<std::ptrdiff_t>(n));
        if (rv < 0)
            ++client_errors;
        return true;
    }

    bool poll()
    {
        std::size_t ran = 0;
        io.restart(); // poll_one() stops the io_context when it runs out of work
        for (int i = 0; i < 100000 && io.poll_one() > 0; ++i)
            ++ran;
        return ran > 0;
    }

    void exchange(int rounds)
    {
        for (int r = 0; r < rounds; ++r)
        {
            bool progress = pull_client();
            progress = deliver_server(0) || progress;
            progress = poll() || progress;
            while (server_write())
                progress = true;
            progress = deliver_client(0) || progress;
            if (!progress)
                return;
        }
    }

    // --- client actions ----------------------------------------------------------------

    client_stream* pick_stream(input& in)
    {
        if (streams.empty())
        {
            in.u8();
            return nullptr;
        }
        return &streams[in.pick(streams.size())];
    }

    void open(input& in)
    {
        const auto& m = methods[in.pick(std::size(methods))];
        const char* ct = content_types[in.pick(std::size(content_types))];
        bool get = (in.u8() & 7) == 7;
        const char* timeout = timeouts[in.pick(std::size(timeouts))];
        std::size_t enc_index = in.pick(std::size(encodings));
        const char* accept = accept_encodings[in.pick(std::size(accept_encodings))];
        std::vector<http2::header> h = {{":method", get ? "GET" : "POST"},
                                        {":scheme", "http"},
                                        {":authority", "fuzz"},
                                        {":path", m.path}};
        if (ct)
            h.push_back({"content-type", ct});
        h.push_back({"te", "trailers"});
        if (timeout)
            h.push_back({"grpc-timeout", timeout});
        if (encodings[enc_index])
            h.push_back({"grpc-encoding", encodings[enc_index]});
        if (accept)
            h.push_back({"grpc-accept-encoding", accept});
        std::size_t md = in.pick(4);
        for (std::size_t i = 0; i < md; ++i)
        {
            std::string key = client_keys[in.pick(std::size(client_keys))];
            h.push_back({std::move(key), in.short_string()});
        }
        if (in.pick(16) == 15)
            h.push_back({"x-large", std::string(in.u16(), 'L')}); // header-list limits
        bool end = in.flag();
        try
        {
            client_stream s;
            s.id = peer->request(h, end);
            s.kind = m.kind;
            s.enc = enc_index == 2   ? grpc::encoding::gzip
                    : enc_index == 3 ? grpc::encoding::deflate
                                     : grpc::encoding::identity;
            s.ended = end;
            streams.push_back(s);
        }
        catch (const std::runtime_error&)
        {
            // No new streams after a GOAWAY, or ids exhausted: a valid client stops here.
        }
    }

    std::string message_for(const client_stream& s, input& in)
    {
        switch (s.kind)
        {
        case method_kind::unary:
        {
            pb::SimpleRequest r;
            r.set_response_size(in.u16());
            r.mutable_payload()->set_body(in.short_string());
            std::uint8_t f = in.u8();
            r.mutable_response_compressed()->set_value(f & 1);
            r.mutable_expect_compressed()->set_value(f & 2);
            if (f & 4)
            {
                r.mutable_response_status()->set_code(static_cast<int>(in.pick(18)));
                r.mutable_response_status()->set_message(in.short_string());
            }
            return r.SerializeAsString();
        }
        case method_kind::streaming_output:
        case method_kind::full_duplex:
        case method_kind::half_duplex:
        {
            pb::StreamingOutputCallRequest r;
            std::size_t n = in.pick(4);
            for (std::size_t i = 0; i < n; ++i)
            {
                auto* p = r.add_response_parameters();
                p->set_size(in.u16());
                p->mutable_compressed()->set_value(in.flag());
            }
            if (in.pick(8) == 7)
                r.mutable_response_status()->set_code(static_cast<int>(in.pick(18)));
            return r.SerializeAsString();
        }
        case method_kind::streaming_input:
        {
            pb::StreamingInputCallRequest r;
            r.mutable_payload()->set_body(std::string(in.u16() % 4096, 'i'));
            return r.SerializeAsString();
        }
        case method_kind::empty: return {};
        default: return in.short_string();
        }
    }

    void data(input& in)
    {
        client_stream* s = pick_stream(in);
        std::size_t kind = in.pick(5);
        std::string payload;
        switch (kind)
        {
        case 0: payload = in.short_string(); break; // raw body bytes
        case 1:                                     // a frame with a chosen flag and length
        {
            std::uint8_t flag = static_cast<std::uint8_t>(in.pick(3));
            std::string body = in.short_string();
            std::uint32_t length = in.flag() ? in.u32() : static_cast<std::uint32_t>(body.size());
            unsigned char prefix[5];
            grpc::encode_prefix(prefix, flag != 0, length);
            prefix[0] = flag;
            payload.assign(reinterpret_cast<const char*>(prefix), 5);
            payload += body;
            break;
        }
        case 2: // the method's request message, compressed when the stream has an encoding
        case 3:
        {
            std::string msg = s ? message_for(*s, in) : std::string();
            bool compress = kind == 3 && s && s->enc != grpc::encoding::identity;
            if (compress)
            {
                auto z = grpc::compress(s->enc, bytes(msg));
                payload = grpc::encode_frame(true, z ? *z : msg);
            }
            else
                payload = grpc::encode_frame(false, msg);
            break;
        }
        default: // a large message: flow control, windows, limits
            payload = grpc::encode_frame(false, std::string(std::size_t(in.u16()) * 2, 'b'));
            break;
        }
        bool end = in.flag();
        if (!s || s->ended)
            return;
        s->ended = end;
        peer->send(s->id, payload, end);
    }

    void end_stream(input& in)
    {
        client_stream* s = pick_stream(in);
        bool trailers = in.flag();
        if (!s || s->ended)
            return;
        s->ended = true;
        std::vector<http2::header> t;
        if (trailers)
            t.push_back({"x-trailer", "t"});
        peer->send(s->id, "", true, t);
    }

    void reset(input& in)
    {
        client_stream* s = pick_stream(in);
        std::uint32_t code = client_reset_codes[in.pick(std::size(client_reset_codes))];
        if (!s)
            return;
        s->reset = true;
        nghttp2_submit_rst_stream(peer->native(), NGHTTP2_FLAG_NONE, s->id, code);
    }

    // The client's own receive window of a stream must stay within 2^31-1 when a pending
    // SETTINGS_INITIAL_WINDOW_SIZE takes effect (nghttp2 adds the difference to every
    // stream's window once the server acknowledges it). Otherwise nghttp2 resets the stream
    // itself with FLOW_CONTROL_ERROR, which the check would blame on the server. A
    // well-behaved client keeps that room: WINDOW_UPDATEs and SETTINGS that could break it
    // are left out (conservatively: the whole new initial window is counted as growth).
    static constexpr std::int64_t max_window = 0x7fffffff;

    bool stream_window_room(std::int64_t growth) const
    {
        for (const auto& s : streams)
        {
            std::int64_t w =
                nghttp2_session_get_stream_effective_local_window_size(peer->native(), s.id);
            if (w > 0 && w + growth > max_window)
                return false;
        }
        return true;
    }

    void window_update(input& in)
    {
        bool connection = in.flag();
        client_stream* s = pick_stream(in);
        std::int32_t increment = static_cast<std::int32_t>(in.u16()) * (in.flag() ? 1024 : 1) + 1;
        std::int32_t id = connection || !s ? 0 : s->id;
        if (id != 0)
        {
            std::int64_t w =
                nghttp2_session_get_stream_effective_local_window_size(peer->native(), id);
            if (w + increment + client_max_initial_window > max_window)
                return;
        }
        nghttp2_submit_window_update(peer->native(), NGHTTP2_FLAG_NONE, id, increment);
    }

    void settings(input& in)
    {
        std::vector<nghttp2_settings_entry> iv;
        std::size_t n = in.pick(3) + 1;
        for (std::size_t i = 0; i < n; ++i)
        {
            switch (in.pick(5))
            {
            case 0:
            {
                std::uint32_t window = std::uint32_t(in.u16()) << in.pick(16);
                if (window > max_window || !stream_window_room(window))
                    break; // refused by nghttp2, or an overflow of the client's own windows
                iv.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window});
                client_max_initial_window =
                    std::max<std::int64_t>(client_max_initial_window, window);
                break;
            }
            case 1: iv.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 16384u + in.u16() * 64u}); break;
            case 2: iv.push_back({NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, in.u16()}); break;
            case 3: iv.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, in.u8()}); break;
            default: iv.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0}); break;
            }
        }
        // Invalid values (a window above 2^31-1) are refused by nghttp2 before sending.
        nghttp2_submit_settings(peer->native(), NGHTTP2_FLAG_NONE, iv.data(), iv.size());
    }

    void raw_frame(input& in)
    {
        std::uint8_t type = in.u8();
        std::uint8_t flags = in.u8();
        std::uint32_t id = in.u32() & 0x7fffffffu;
        std::string payload = in.short_string();
        unsigned char h[9] = {0,
                              0,
                              static_cast<unsigned char>(payload.size()),
                              type,
                              flags,
                              static_cast<unsigned char>(id >> 24),
                              static_cast<unsigned char>(id >> 16),
                              static_cast<unsigned char>(id >> 8),
                              static_cast<unsigned char>(id)};
        pull_client(); // keep the client's frames whole: the raw frame goes after them
        to_server.insert(to_server.end(), h, h + 9);
        to_server.insert(to_server.end(), payload.begin(), payload.end());
        raw_injected = true;
    }

    // --- handler actions ---------------------------------------------------------------

    void handler(input& in)
    {
        std::shared_ptr<scripted_call> call;
        if (!calls.empty())
            call = calls[in.pick(calls.size())];
        else
            in.u8();
        command c;
        c.op = static_cast<int>(in.pick(10));
        switch (c.op)
        {
        case 1: // write
            c.size = in.u16();
            c.flag = in.flag();
            break;
        case 2: // initial metadata
        case 3: // trailing metadata
            c.key = handler_keys[in.pick(std::size(handler_keys))];
            c.text = in.short_string();
            break;
        case 5: c.code = static_cast<int>(in.pick(3)); break; // compression
        case 6:                                               // finish now
        case 7:                                               // return a status
            c.code = static_cast<int>(in.pick(18));
            c.text = in.short_string();
            break;
        default: break;
        }
        if (!call || call->done)
            return;
        call->commands.push_back(std::move(c));
        call->wake.notify();
    }

    // --- checks ----------------------------------------------------------------------------

    void trace() const
    {
        if (!tracing())
            return;
        trace_frames("client->server", client_out);
        trace_frames("server->client", server_out);
        for (const auto& e : peer->errors)
            std::fprintf(stderr, "client error: %s\n", e.c_str());
        for (const auto& [id, ps] : peer->streams)
        {
            std::fprintf(stderr, "stream %d closed %d error %u body %zu bytes\n", id, ps.closed,
                         ps.close_error, ps.body.size());
            for (const auto& h : ps.headers)
                std::fprintf(stderr, "  header %s: %s\n", h.name.c_str(), h.value.c_str());
            for (const auto& h : ps.trailers)
                std::fprintf(stderr, "  trailer %s: %s\n", h.name.c_str(), h.value.c_str());
        }
    }

    void check_client_view() const
    {
        trace();
        if (raw_injected)
            return;
        if (client_errors > 0)
            violated("the client session failed on the server's output", client_errors);
        for (const auto& f : client_out.frames())
            if ((f.type == NGHTTP2_RST_STREAM || f.type == NGHTTP2_GOAWAY) &&
                is_protocol_violation_code(f.error_code))
                violated("the client rejected the server's output with error code", f.error_code);
        for (const auto& s : streams)
        {
            auto it = peer->streams.find(s.id);
            if (it == peer->streams.end() || !it->second.closed || it->second.close_error != 0 ||
                s.reset)
                continue;
            const auto& ps = it->second;
            std::string st = ps.header(":status");
            if (st.empty())
                violated("a stream ended normally without response headers", s.id);
            if (st != "200" || !ps.header("content-type").starts_with("application/grpc"))
                continue;
            std::string gs = ps.trailer("grpc-status");
            if (gs.empty())
                gs = ps.header("grpc-status");
            if (gs.empty())
                violated("a gRPC response ended without grpc-status", s.id);
            for (char ch : gs)
                if (ch < '0' || ch > '9')
                    violated("a non-numeric grpc-status", s.id);
        }
    }

    void check_goaway() const
    {
        bool goaway = server_out.saw(NGHTTP2_GOAWAY) || client_out.saw(NGHTTP2_GOAWAY);
        bool flooded = receive_error == http2::make_nghttp2_error(NGHTTP2_ERR_FLOODED);
        if (receive_error && !flooded && !goaway)
            violated("receive failed without a GOAWAY", receive_error.value());
        bool ended = closed || (!session->want_read() && !session->want_write());
        if (ended && !flooded && !goaway)
            violated("the session ended without a GOAWAY");
    }

    void teardown()
    {
        // The peer disconnects: what http2::serve does when its read loop ends.
        end_reading();
        poll();
        while (server_write())
            poll();
        poll();
        // A scripted handler may still wait for its next command: a call the framework
        // finished by itself (a too-large message, say) and that then closed normally is
        // not cancelled. Its application wakes it up now, and every call operation on the
        // closed call must fail cleanly so that it returns.
        for (const auto& c : calls)
        {
            if (c->done)
                continue;
            for (int op : {0, 1, 4, 2, 3, 5, 6, 9, 7})
            {
                command cmd;
                cmd.op = op;
                cmd.size = 10;
                cmd.key = "x-late";
                c->commands.push_back(cmd);
            }
            c->wake.notify();
        }
        poll();
        if (live.handlers != 0)
            violated("handlers still running after the connection was lost", long(live.handlers));
        for (const auto& c : calls)
            if (!c->done || !c->context.expired())
                violated("a scripted call outlived its connection");
        if (session->active_streams() != 0)
            violated("streams left after the connection was lost", long(session->active_streams()));
    }
};

asio::awaitable<grpc::status> scripted_handler(grpc::server_context& ctx, world& w)
{
    auto call = std::make_shared<scripted_call>(co_await asio::this_coro::executor);
    call->context = ctx.shared_from_this();
    w.calls.push_back(call);
    struct mark_done
    {
        scripted_call& c;
        ~mark_done() { c.done = true; }
    } guard{*call};
    for (;;)
    {
        while (call->commands.empty())
        {
            auto [ec] = co_await call->wake.async_wait(rpcplugin::use_tuple);
            if (ec)
                co_return grpc::status(grpc::status_code::cancelled, "scripted call cancelled");
        }
        command c = std::move(call->commands.front());
        call->commands.pop_front();
        switch (c.op)
        {
        case 0:
        {
            std::string msg;
            bool ok = co_await ctx.read(msg);
            (void)ok;
            break;
        }
        case 1:
        {
            std::string msg(c.size, 'w');
            grpc::write_options opts;
            opts.compress = c.flag;
            bool ok = co_await ctx.write(msg, opts);
            (void)ok;
            break;
        }
        case 2: ctx.add_initial_metadata(c.key, c.text); break;
        case 3: ctx.add_trailing_metadata(c.key, c.text); break;
        case 4: ctx.send_initial_metadata(); break;
        case 5: ctx.set_compression(static_cast<grpc::encoding>(c.code)); break;
        case 6: ctx.finish(grpc::status(grpc::status_code_from_int(c.code), c.text)); break;
        case 7: co_return grpc::status(grpc::status_code_from_int(c.code), c.text);
        case 8: throw std::runtime_error("scripted handler throws");
        default:
        {
            std::string msg;
            for (;;)
            {
                bool ok = co_await ctx.read(msg);
                if (!ok)
                    break;
            }
            break;
        }
        }
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    input in({data, size});
    world w;
    w.configure(in);
    while (!in.empty())
    {
        switch (in.pick(17))
        {
        case 0: w.open(in); break;
        case 1: w.data(in); break;
        case 2: w.end_stream(in); break;
        case 3: w.reset(in); break;
        case 4: w.window_update(in); break;
        case 5: w.settings(in); break;
        case 6: nghttp2_submit_ping(w.peer->native(), NGHTTP2_FLAG_NONE, nullptr); break;
        case 7: w.exchange(16); break;
        case 8: w.pull_client(); break;
        case 9: w.deliver_server(in.u16()); break;
        case 10: w.server_write(); break;
        case 11: w.deliver_client(in.u16()); break;
        case 12: w.poll(); break;
        case 13: w.handler(in); break;
        case 14:
            w.client_goaway = true;
            nghttp2_submit_goaway(w.peer->native(), NGHTTP2_FLAG_NONE, 0,
                                  in.flag() ? NGHTTP2_NO_ERROR : NGHTTP2_INTERNAL_ERROR, nullptr,
                                  0);
            break;
        case 15:
            switch (in.pick(3))
            {
            case 0: w.session->shutdown_notice(); break;
            case 1: w.session->goaway(NGHTTP2_NO_ERROR); break;
            default: w.session->terminate(NGHTTP2_ENHANCE_YOUR_CALM); break;
            }
            break;
        default: w.raw_frame(in); break;
        }
    }
    w.exchange(256);
    w.check_client_view();
    w.check_goaway();
    w.teardown();
    return 0;
}
