// The connection front door as named stages: detect (the first bytes), refuse HTTP/1.x,
// TLS handshake and ALPN, refuse h2c on a TLS listener, then serve HTTP/2.
#include "grpc/detail/connection.hpp"

#include "grpc/detail/connections.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/http2/refusal.hpp"
#include "rpcplugin/http2/serve.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/error.hpp"
#include "rpcplugin/transport/stream.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace rpcplugin::grpc::detail
{
door route(transport::protocol_guess guess, bool tls_listener) noexcept
{
    using transport::protocol_guess;
    if (guess == protocol_guess::need_more)
        return door::timed_out;
    if (guess == protocol_guess::http1_request)
        return door::refuse_http1;
    if (!tls_listener)
        return guess == protocol_guess::tls_handshake ? door::refuse_tls : door::serve_h2c;
    if (guess == protocol_guess::tls_handshake)
        return door::serve_tls;
    return guess == protocol_guess::http2_preface ? door::refuse_h2c : door::refuse_plaintext;
}

namespace
{
using boost::system::error_code;
namespace beast = boost::beast;
using namespace asio::experimental::awaitable_operators;

constexpr std::string_view log_module = "rpcplugin.grpc";

// What every stage of one connection needs.
struct door_context
{
    const server& srv;
    connections& conns;
    connection_context& c;
    beast::flat_buffer buf;
    // One deadline covers the TLS handshake, the preface and the first SETTINGS frame.
    asio::steady_timer deadline;

    const logger& log() const noexcept { return srv.options().log; }
    void warn(std::string_view what) const
    {
        log().log(log_level::warn, log_module, what, {{"peer", c.peer}});
    }
};

// Stage "detect": reads until the first bytes tell what the client speaks, within the
// deadline (need_more: timed out).
template <class Socket>
asio::awaitable<transport::protocol_guess> detect(Socket& sock, door_context& d)
{
    for (;;)
    {
        auto g = transport::guess_protocol(
            {static_cast<const unsigned char*>(d.buf.cdata().data()), d.buf.size()});
        if (g != transport::protocol_guess::need_more)
            co_return g;
        auto r = co_await (sock.async_read_some(d.buf.prepare(1024), use_tuple) ||
                           d.deadline.async_wait(use_tuple));
        if (r.index() == 1)
            co_return transport::protocol_guess::need_more; // timed out
        auto [ec, n] = std::get<0>(r);
        if (ec)
            co_return transport::protocol_guess::unknown;
        d.buf.commit(n);
    }
}

// Stage "refuse HTTP/1.x": a plain-text answer through Beast's serializer.
template <class Socket>
asio::awaitable<void> refuse_http1(Socket& sock, door_context& d)
{
    namespace http = beast::http;
    const bool tls = d.c.tls != nullptr;
    const std::string_view reason =
        tls ? "this endpoint requires TLS"
            : "this endpoint serves gRPC over HTTP/2 only (prior-knowledge "
              "h2c); HTTP/1.x is not supported";
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(8 * 1024);
    auto [rec, rn] = co_await http::async_read_header(sock, d.buf, parser, use_tuple);
    std::string target =
        rec ? std::string("(unparsed)")
            : std::string(parser.get().method_string()) + " " + std::string(parser.get().target());
    http::response<http::string_body> res{
        tls ? http::status::bad_request : http::status::http_version_not_supported, 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::connection, "close");
    res.body() = std::string(reason) + "\n";
    res.prepare_payload();
    co_await http::async_write(sock, res, use_tuple);
    d.log().log(log_level::warn, log_module, "refused an HTTP/1.x request",
                {{"request", target}, {"reason", reason}});
    if (tls)
        d.warn("plaintext client on a TLS listener");
}

// Stage "serve": HTTP/2 on an established stream, the session attached to the task group
// member for the drain.
asio::awaitable<void> serve_h2(door_context& d, transport::stream& stream,
                               std::span<const unsigned char> initial)
{
    auto ex = co_await asio::this_coro::executor;
    auto& c = d.c;
    auto dispatcher = make_dispatcher(d.srv, ex, c.peer, c.id);
    http2::server_session h2(ex, c.http2, *dispatcher);
    d.conns.attach(c.id, &h2);
    struct detach
    {
        connections& conns;
        std::uint64_t id;
        ~detach() { conns.attach(id, nullptr); } // on the strand: later drain work skips it
    } guard{d.conns, c.id};
    if (d.conns.draining())
        h2.goaway(0);
    auto ec = co_await http2::serve(stream, h2, c.http2, initial, c.handshake_deadline);
    // Join the calls: their handlers were cancelled when the connection ended, and the
    // connection leaves the server's task group once the last has returned.
    co_await asio::this_coro::throw_if_cancelled(false);
    while (h2.running_handlers() > 0)
        co_await h2.read_signal().async_wait(use_tuple);
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != asio::error::connection_reset && ec != asio::ssl::error::stream_truncated)
        d.log().log(log_level::debug, log_module, "connection ended",
                    {{"peer", c.peer}, {"error", ec.message()}});
}

// Stage "TLS handshake + ALPN", then serve. The place is given back once the handshake
// is done.
template <class Socket>
asio::awaitable<void> serve_tls(Socket sock, door_context& d, handshake_place& place)
{
    asio::ssl::stream<Socket> ts(std::move(sock), *d.c.tls);
    auto r =
        co_await (ts.async_handshake(asio::ssl::stream_base::server, d.buf.data(), use_tuple) ||
                  d.deadline.async_wait(use_tuple));
    if (r.index() == 1)
    {
        d.warn("TLS handshake timed out");
        co_return;
    }
    if (auto [ec, used] = std::get<0>(r); ec)
    {
        d.log().log(log_level::warn, log_module, "TLS handshake failed",
                    {{"peer", d.c.peer}, {"error", ec.message()}});
        co_return;
    }
    if (tls::negotiated_alpn(ts.native_handle()) != "h2")
    {
        d.warn("TLS client did not negotiate ALPN h2");
        co_return;
    }
    transport::stream s{std::move(ts)};
    place.release();
    co_await serve_h2(d, s, {});
}

// Plaintext HTTP/2 with the bytes detection read.
template <class Socket>
asio::awaitable<void> serve_h2c(Socket sock, door_context& d, handshake_place& place)
{
    std::vector<unsigned char> initial(static_cast<const unsigned char*>(d.buf.cdata().data()),
                                       static_cast<const unsigned char*>(d.buf.cdata().data()) +
                                           d.buf.size());
    transport::stream s{transport::socket(std::move(sock))};
    place.release();
    co_await serve_h2(d, s, initial);
}

template <class Socket>
asio::awaitable<void> run(const server& srv, connections& conns, Socket sock, connection_context& c)
{
    connections_user use(conns); // first: the registry outlives this frame's other locals
    door_context d{
        srv, conns, c, {}, asio::steady_timer(sock.get_executor(), c.handshake_deadline)};
    const auto max_pending = srv.options().admission.max_pending_handshakes;
    handshake_place place(conns, max_pending);
    if (!place)
    {
        d.log().log(log_level::warn, log_module, "too many connections in their handshake; closed",
                    {{"peer", c.peer}, {"max_pending_handshakes", std::to_string(max_pending)}});
        co_return;
    }
    auto guess = co_await detect(sock, d);
    switch (route(guess, c.tls != nullptr))
    {
    case door::timed_out: d.warn("client sent no preface in time"); co_return;
    case door::refuse_tls: d.warn("TLS handshake on a plaintext listener"); co_return;
    case door::refuse_http1: co_await refuse_http1(sock, d); co_return;
    case door::refuse_h2c:
        co_await http2::refuse(sock, http2::code::protocol_error, "TLS required");
        d.warn("plaintext client on a TLS listener");
        co_return;
    case door::refuse_plaintext: d.warn("plaintext client on a TLS listener"); co_return;
    case door::serve_h2c: co_await serve_h2c(std::move(sock), d, place); co_return;
    case door::serve_tls: co_await serve_tls(std::move(sock), d, place); co_return;
    }
}
} // namespace

asio::awaitable<void> run_connection(const server& srv, connections& conns, connection_context& c)
{
    return std::visit([&](auto& sock) { return run(srv, conns, std::move(sock), c); }, c.socket);
}
} // namespace rpcplugin::grpc::detail
