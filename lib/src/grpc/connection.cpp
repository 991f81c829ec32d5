// One connection: first-bytes detection, optional TLS, then HTTP/2 with the gRPC
// dispatcher that turns requests into handler coroutines.
#include "grpc/detail/connection.hpp"

#include "rpcplugin/grpc/percent_encoding.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/serve.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/detect.hpp"
#include "rpcplugin/transport/error.hpp"
#include "rpcplugin/transport/stream.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <nghttp2/nghttp2.h>

#include <cstring>

namespace rpcplugin::grpc::detail
{
namespace
{
using boost::system::error_code;
namespace beast = boost::beast;
using namespace asio::experimental::awaitable_operators;

constexpr std::string_view log_module = "rpcplugin.grpc";

// Serves a fixed body (415/405 answers) and ends the stream.
class text_body final : public http2::stream_observer
{
public:
    explicit text_body(std::string body)
        : body_(std::move(body))
    {
    }

    void on_data(std::span<const unsigned char>) override {}
    void on_end_stream() override {}
    void on_close(std::uint32_t) override {}
    std::size_t read_body(std::span<unsigned char> dst, bool& eof) override
    {
        std::size_t n = std::min(dst.size(), body_.size() - offset_);
        std::memcpy(dst.data(), body_.data() + offset_, n);
        offset_ += n;
        eof = offset_ == body_.size();
        return n;
    }
    std::vector<http2::header> take_trailers() override { return {}; }

private:
    std::string body_;
    std::size_t offset_ = 0;
};

const std::string* field(const http2::request_head& head, std::string_view name)
{
    for (const auto& f : head.fields)
        if (f.name == name)
            return &f.value;
    return nullptr;
}

std::shared_ptr<http2::stream_observer> answer_http(http2::server_session& s, std::int32_t id,
                                                    std::string status_code, std::string body)
{
    auto obs = std::make_shared<text_body>(std::move(body));
    const http2::header h[] = {{":status", std::move(status_code)},
                               {"content-type", "text/plain; charset=utf-8"}};
    s.respond(id, h, true);
    return obs;
}

void answer_status(http2::server_session& s, std::int32_t id, const status& st)
{
    std::vector<http2::header> h{{":status", "200"},
                                 {"content-type", "application/grpc"},
                                 {"grpc-status", std::to_string(static_cast<int>(st.code()))}};
    if (!st.message().empty())
        h.push_back({"grpc-message", percent_encode(st.message())});
    s.respond(id, h, false);
}

std::string unknown_method_message(const server& srv, std::string_view path)
{
    const auto split = split_method_path(path);
    if (!split)
        return "malformed method name: " + std::string(path);
    if (!srv.has_service(split->service))
        return "unknown service " + std::string(split->service);
    return "unknown method " + std::string(split->method) + " for service " +
           std::string(split->service);
}

class dispatcher final : public http2::dispatcher
{
public:
    dispatcher(server& srv, asio::any_io_executor ex, std::string peer, std::uint64_t id)
        : srv_(srv)
        , ex_(std::move(ex))
        , peer_(std::move(peer))
        , id_(id)
    {
    }

    std::shared_ptr<http2::stream_observer> on_request(http2::server_session& s, std::int32_t id,
                                                       http2::request_head&& head,
                                                       bool end_stream) override
    {
        const auto& opts = srv_.options();
        if (head.too_large)
        {
            answer_status(s, id,
                          status(status_code::resource_exhausted,
                                 "request header list larger than " +
                                     std::to_string(opts.http2.max_header_list_size) + " bytes"));
            return nullptr;
        }
        const std::string* ct = field(head, "content-type");
        if (!ct || !(ct->starts_with("application/grpc") &&
                     (ct->size() == 16 || (*ct)[16] == '+' || (*ct)[16] == ';')))
            return answer_http(s, id, "415",
                               "unsupported content-type " + (ct ? *ct : std::string("(none)")) +
                                   ": this is a gRPC server; use application/grpc\n");
        if (head.method != "POST")
            return answer_http(s, id, "405", "gRPC requires POST; got " + head.method + "\n");
        const method_entry* m = srv_.find(head.path);
        if (!m)
        {
            answer_status(s, id,
                          status(status_code::unimplemented, unknown_method_message(srv_, head.path)));
            return nullptr;
        }
        auto ctx = std::make_shared<server_context>(s, id, opts, ex_);
        if (auto refused = ctx->accept(head, end_stream, peer_, id_))
        {
            ctx->finish(*refused);
            return ctx->observer();
        }
        // Posted, so that the handler never starts inside an nghttp2 callback.
        // The handler slot counts the handler against the connection's quota until it
        // returns, even if its stream is reset earlier (http2::handler_slot).
        asio::post(ex_,
                   [ctx, m, &srv = srv_, ex = ex_, slot = s.start_handler()]() mutable
                   {
                       asio::co_spawn(ex,
                                      invoke(ctx, call_next(srv.call_stages(), m->handler),
                                             std::move(slot)),
                                      asio::bind_cancellation_slot(
                                          ctx->cancellation_slot(), [ctx](std::exception_ptr e)
                                          {
                                              if (e)
                                                  ctx->on_handler_exception(e);
                                          }));
                   });
        return ctx->observer();
    }

private:
    // The call stages, then the handler; the slot is held until they return.
    static asio::awaitable<void> invoke(std::shared_ptr<server_context> ctx, call_next pipeline,
                                        http2::handler_slot slot)
    {
        if (ctx->finished())
            co_return;
        status s = co_await pipeline(*ctx);
        ctx->finish(s);
        slot.release(); // also released when the handler throws (the frame goes away)
    }

    server& srv_;
    asio::any_io_executor ex_;
    std::string peer_;
    std::uint64_t id_;
};

// HTTP/2 on an established stream.
asio::awaitable<void> serve_h2(server& srv, transport::stream& stream,
                               std::span<const unsigned char> initial, connection_context& c)
{
    const auto& opts = srv.options();
    auto ex = co_await asio::this_coro::executor;
    dispatcher d(srv, ex, c.peer, c.id);
    http2::server_session h2(ex, c.http2, d);
    auto entry = std::make_shared<server::connection_entry>(server::connection_entry{ex, &h2, &stream});
    srv.register_connection(entry);
    struct deregister
    {
        server& s;
        server::connection_entry& e;
        ~deregister()
        {
            e.alive = false; // on the strand: work drain posted here sees it
            s.unregister_connection(&e);
        }
    } guard{srv, *entry};
    if (srv.draining())
        h2.goaway(0);
    auto ec = co_await http2::serve(stream, h2, c.http2, initial, c.handshake_deadline);
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != asio::error::connection_reset && ec != asio::ssl::error::stream_truncated)
        opts.log.log(log_level::debug, log_module, "connection ended",
                     {{"peer", c.peer}, {"error", ec.message()}});
}

template <class Socket>
asio::awaitable<void> answer_http1(const server& srv, Socket& sock, beast::flat_buffer& buf,
                                   std::string_view reason, beast::http::status code)
{
    namespace http = beast::http;
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(8 * 1024);
    auto [rec, rn] = co_await http::async_read_header(sock, buf, parser, use_tuple);
    std::string target = rec ? std::string("(unparsed)")
                             : std::string(parser.get().method_string()) + " " +
                                   std::string(parser.get().target());
    http::response<http::string_body> res{code, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::connection, "close");
    res.body() = std::string(reason) + "\n";
    res.prepare_payload();
    co_await http::async_write(sock, res, use_tuple);
    srv.options().log.log(log_level::warn, log_module, "refused an HTTP/1.x request",
                          {{"request", target}, {"reason", reason}});
}

// Reads until the first bytes tell what the client speaks, within `deadline`.
template <class Socket>
asio::awaitable<transport::protocol_guess> detect(Socket& sock, beast::flat_buffer& buf,
                                                  asio::steady_timer& deadline)
{
    for (;;)
    {
        auto g = transport::guess_protocol(
            {static_cast<const unsigned char*>(buf.cdata().data()), buf.size()});
        if (g != transport::protocol_guess::need_more)
            co_return g;
        auto r = co_await (sock.async_read_some(buf.prepare(1024), use_tuple) ||
                           deadline.async_wait(use_tuple));
        if (r.index() == 1)
            co_return transport::protocol_guess::need_more; // timed out
        auto [ec, n] = std::get<0>(r);
        if (ec)
            co_return transport::protocol_guess::unknown;
        buf.commit(n);
    }
}

// An HTTP/2 client on a TLS listener: SETTINGS then GOAWAY(PROTOCOL_ERROR, "TLS required"),
// so the client reports why instead of a bare connection reset.
template <class Socket>
asio::awaitable<void> refuse_h2c(Socket& sock)
{
    static constexpr std::string_view debug = "TLS required";
    unsigned char frames[9 + 9 + 8 + debug.size()] = {};
    frames[3] = NGHTTP2_SETTINGS;                            // empty SETTINGS on stream 0
    unsigned char* g = frames + 9;
    g[2] = static_cast<unsigned char>(8 + debug.size()); // length
    g[3] = NGHTTP2_GOAWAY;
    g[9 + 7] = NGHTTP2_PROTOCOL_ERROR;                       // last stream id 0, error code
    std::memcpy(g + 9 + 8, debug.data(), debug.size());
    co_await asio::async_write(sock, asio::buffer(frames), use_tuple);
}

// One of the server's places for a connection in its handshake, given back when the
// handshake ends (or the connection does).
class handshake_place
{
public:
    explicit handshake_place(server& srv) noexcept
        : srv_(srv)
        , held_(srv.begin_handshake())
    {
    }
    ~handshake_place() { release(); }
    handshake_place(const handshake_place&) = delete;
    handshake_place& operator=(const handshake_place&) = delete;

    explicit operator bool() const noexcept { return held_; }
    void release() noexcept
    {
        if (held_)
            srv_.end_handshake();
        held_ = false;
    }

private:
    server& srv_;
    bool held_;
};

template <class Socket>
asio::awaitable<void> run(server& srv, Socket sock, connection_context& c)
{
    using transport::protocol_guess;
    const auto& log = srv.options().log;
    const auto& tls = c.tls;
    const std::string& peer = c.peer;
    handshake_place place(srv);
    if (!place)
    {
        log.log(log_level::warn, log_module, "too many connections in their handshake; closed",
                {{"peer", peer},
                 {"max_pending_handshakes", std::to_string(srv.options().max_pending_handshakes)}});
        co_return;
    }
    beast::flat_buffer buf;
    // One deadline covers the TLS handshake, the preface and the first SETTINGS frame.
    asio::steady_timer deadline(sock.get_executor(), c.handshake_deadline);

    auto guess = co_await detect(sock, buf, deadline);
    if (guess == protocol_guess::need_more)
    {
        log.log(log_level::warn, log_module, "client sent no preface in time", {{"peer", peer}});
        co_return;
    }
    if (!tls)
    {
        if (guess == protocol_guess::tls_handshake)
        {
            log.log(log_level::warn, log_module, "TLS handshake on a plaintext listener",
                    {{"peer", peer}});
            co_return;
        }
        if (guess == protocol_guess::http1_request)
        {
            co_await answer_http1(srv, sock, buf,
                                  "this endpoint serves gRPC over HTTP/2 only (prior-knowledge "
                                  "h2c); HTTP/1.x is not supported",
                                  beast::http::status::http_version_not_supported);
            co_return;
        }
        std::vector<unsigned char> initial(
            static_cast<const unsigned char*>(buf.cdata().data()),
            static_cast<const unsigned char*>(buf.cdata().data()) + buf.size());
        transport::stream s{transport::socket(std::move(sock))};
        place.release();
        co_await serve_h2(srv, s, initial, c);
        co_return;
    }

    if (guess != protocol_guess::tls_handshake)
    {
        if (guess == protocol_guess::http1_request)
            co_await answer_http1(srv, sock, buf, "this endpoint requires TLS",
                                  beast::http::status::bad_request);
        else if (guess == protocol_guess::http2_preface)
            co_await refuse_h2c(sock);
        log.log(log_level::warn, log_module, "plaintext client on a TLS listener", {{"peer", peer}});
        co_return;
    }
    asio::ssl::stream<Socket> ts(std::move(sock), *tls);
    auto r = co_await (ts.async_handshake(asio::ssl::stream_base::server, buf.data(), use_tuple) ||
                       deadline.async_wait(use_tuple));
    if (r.index() == 1)
    {
        log.log(log_level::warn, log_module, "TLS handshake timed out", {{"peer", peer}});
        co_return;
    }
    if (auto [ec, used] = std::get<0>(r); ec)
    {
        log.log(log_level::warn, log_module, "TLS handshake failed",
                {{"peer", peer}, {"error", ec.message()}});
        co_return;
    }
    if (tls::negotiated_alpn(ts.native_handle()) != "h2")
    {
        log.log(log_level::warn, log_module, "TLS client did not negotiate ALPN h2",
                {{"peer", peer}});
        co_return;
    }
    transport::stream s{std::move(ts)};
    place.release();
    co_await serve_h2(srv, s, {}, c);
}
} // namespace

asio::awaitable<void> run_connection(server& srv, connection_context& c)
{
    return std::visit([&](auto& sock) { return run(srv, std::move(sock), c); }, c.socket);
}

std::unique_ptr<http2::dispatcher> make_dispatcher(server& srv, asio::any_io_executor ex,
                                                   std::string peer, std::uint64_t id)
{
    return std::make_unique<dispatcher>(srv, std::move(ex), std::move(peer), id);
}
} // namespace rpcplugin::grpc::detail
