#include "rpcplugin/grpc/channel.hpp"

#include "detail/log_exceptions.hpp"
#include "rpcplugin/detail/strand.hpp"
#include "rpcplugin/grpc/timeout.hpp"
#include "rpcplugin/http2/serve.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/error.hpp"
#include "rpcplugin/transport/stream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace rpcplugin::grpc
{
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

struct channel::connection
{
    connection(std::shared_ptr<asio::ssl::context> t, transport::stream s, asio::any_io_executor ex,
               const http2::settings& cfg)
        : tls(std::move(t))
        , stream(std::move(s))
        , session(std::move(ex), cfg)
    {
    }

    std::shared_ptr<asio::ssl::context> tls; // outlives the TLS stream
    transport::stream stream;
    http2::client_session session;
    bool done = false;
};

namespace
{
bool is_ip_literal(const std::string& host)
{
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

// Connects a plaintext socket to `ep`, within the timer's deadline.
asio::awaitable<error_code> connect_socket(const transport::endpoint& ep, transport::socket& out,
                                           asio::steady_timer& deadline)
{
    auto ex = co_await asio::this_coro::executor;
    if (ep.family == transport::endpoint::kind::local)
    {
        transport::unix_socket s(ex);
        auto r = co_await (s.async_connect({ep.path}, use_tuple) || deadline.async_wait(use_tuple));
        if (r.index() == 1)
            co_return transport::errc::handshake_timeout;
        if (auto [ec] = std::get<0>(r); ec)
            co_return ec;
        out = std::move(s);
        co_return error_code{};
    }
    asio::ip::tcp::resolver resolver(ex);
    auto [rec, results] =
        co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
    if (rec)
        co_return rec;
    transport::tcp_socket s(ex);
    auto r =
        co_await (asio::async_connect(s, results, use_tuple) || deadline.async_wait(use_tuple));
    if (r.index() == 1)
        co_return transport::errc::handshake_timeout;
    if (auto [ec, endpoint] = std::get<0>(r); ec)
        co_return ec;
    error_code ignored;
    s.set_option(asio::ip::tcp::no_delay(true), ignored);
    out = std::move(s);
    co_return error_code{};
}

template <class Socket>
asio::awaitable<boost::system::result<transport::stream>>
tls_handshake(Socket sock, asio::ssl::context& ctx, const tls::client_config& cfg,
              const std::string& host, asio::steady_timer& deadline)
{
    asio::ssl::stream<Socket> ts(std::move(sock), ctx);
    std::string name = !cfg.server_name.empty() ? cfg.server_name : host;
    if (!name.empty() && !is_ip_literal(name))
        SSL_set_tlsext_host_name(ts.native_handle(), name.c_str());
    if (!cfg.insecure_skip_verify && !name.empty())
        ts.set_verify_callback(asio::ssl::host_name_verification(name));
    auto r = co_await (ts.async_handshake(asio::ssl::stream_base::client, use_tuple) ||
                       deadline.async_wait(use_tuple));
    if (r.index() == 1)
        co_return transport::errc::handshake_timeout;
    if (auto [ec] = std::get<0>(r); ec)
        co_return ec;
    if (tls::negotiated_alpn(ts.native_handle()) != "h2")
        co_return transport::errc::alpn_not_h2;
    co_return transport::stream(std::move(ts));
}
} // namespace

channel::channel(asio::any_io_executor ex, channel_options opts, std::string authority)
    : ex_(std::move(ex))
    , opts_(std::move(opts))
    , authority_(std::move(authority))
    , scheme_(opts_.tls ? "https" : "http")
{
}

channel::~channel()
{
    if (conn_ && !conn_->done)
        conn_->session.terminate(http2::code::no_error);
}

namespace
{
asio::awaitable<boost::system::result<std::shared_ptr<channel>>> fail_now(error_code ec)
{
    co_return ec;
}
} // namespace

asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
channel::connect(asio::any_io_executor ex, std::string_view target, const channel_options& opts)
{
    // Deliberately not a coroutine: g++ 12 double-destroys class-type temporaries passed by
    // value inside a co_await expression, so the options are copied into the channel here.
    auto ep = transport::parse_endpoint(target);
    if (!ep)
        return fail_now(ep.error());
    auto strand = rpcplugin::detail::make_strand(ex);
    auto ch = std::make_shared<channel>(strand, opts, std::string());
    return asio::co_spawn(strand, connect_on_strand(std::move(ch), *ep), asio::use_awaitable);
}

asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
channel::connect(asio::any_io_executor ex, std::string_view target)
{
    return connect(std::move(ex), target, channel_options{});
}

asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
channel::connect_on_strand(std::shared_ptr<channel> ch, transport::endpoint ep)
{
    auto strand = ch->ex_;
    const channel_options& opts = ch->opts_;
    asio::steady_timer deadline(strand, opts.connect_timeout);
    transport::socket sock{transport::tcp_socket(strand)};
    if (auto ec = co_await connect_socket(ep, sock, deadline); ec)
        co_return ec;
    ch->authority_ = opts.authority;
    if (ch->authority_.empty())
        ch->authority_ =
            ep.family == transport::endpoint::kind::local ? "localhost" : ep.to_string();
    std::shared_ptr<asio::ssl::context> tls_ctx;
    std::optional<transport::stream> stream;
    std::string alpn, subject;
    tls::session_info session;
    if (opts.tls)
    {
        auto ctx = tls::make_client_context(*opts.tls);
        if (!ctx)
            co_return ctx.error();
        tls_ctx = *ctx;
        const std::string host =
            ep.family == transport::endpoint::kind::local ? "localhost" : ep.host;
        auto s = co_await std::visit(
            [&](auto& raw)
            { return tls_handshake(std::move(raw), *tls_ctx, *opts.tls, host, deadline); },
            sock);
        if (!s)
            co_return s.error();
        stream.emplace(std::move(*s));
        alpn = tls::negotiated_alpn(stream->native_tls_handle());
        subject = tls::peer_subject(stream->native_tls_handle());
        session = tls::describe_session(stream->native_tls_handle());
    }
    else
        stream.emplace(std::move(sock));

    ch->alpn_ = std::move(alpn);
    ch->peer_subject_ = std::move(subject);
    ch->tls_session_ = std::move(session);
    auto c = std::make_shared<connection>(tls_ctx, std::move(*stream), strand, ch->opts_.http2);
    ch->conn_ = c;
    // A failure of the connection's coroutine fails its calls and the channel, and is logged.
    auto fail_connection = [c]
    {
        c->done = true;
        c->session.close_all_streams(http2::connection_lost);
        c->session.ready_signal().notify();
    };
    asio::co_spawn(strand, ch->run(c),
                   rpcplugin::detail::log_exceptions(opts.log, "rpcplugin.grpc",
                                                     "a channel's connection",
                                                     std::move(fail_connection)));
    // Wait for the server's SETTINGS (or a failure) within the deadline.
    while (!c->session.preface_received() && !c->done)
    {
        auto r = co_await (c->session.ready_signal().async_wait(use_tuple) ||
                           deadline.async_wait(use_tuple));
        if (r.index() == 1)
        {
            ch->close();
            co_return transport::errc::handshake_timeout;
        }
    }
    if (!c->session.preface_received())
        co_return ch->error_ ? ch->error_ : error_code(asio::error::connection_reset);
    co_return ch;
}

asio::awaitable<void> channel::run(std::shared_ptr<connection> c)
{
    // The channel may be destroyed while the connection runs (its destructor terminates
    // the session); after the await only `c` and a locked weak pointer are used.
    std::weak_ptr<channel> weak = weak_from_this();
    const http2::settings& cfg = opts_.http2;
    auto ec = co_await http2::serve(c->stream, c->session, cfg);
    c->done = true;
    c->session.ready_signal().notify();
    if (auto self = weak.lock())
    {
        self->error_ = ec ? ec : error_code(asio::error::eof);
        self->opts_.log.log(log_level::debug, "rpcplugin.client", "connection ended",
                            {{"error", self->error_.message()}});
    }
}

bool channel::is_open() const noexcept
{
    return conn_ && !conn_->done && !closed_ && !conn_->session.goaway_received();
}

void channel::close()
{
    closed_ = true;
    if (conn_ && !conn_->done)
        conn_->session.terminate(http2::code::no_error);
}

http2::client_session* channel::session() noexcept
{
    return conn_ && !conn_->done ? &conn_->session : nullptr;
}

std::vector<http2::header> channel::request_headers(const std::string& path,
                                                    const call_options& o) const
{
    std::vector<http2::header> h;
    h.reserve(9 + o.metadata.size());
    h.push_back({":method", "POST"});
    h.push_back({":scheme", scheme_});
    h.push_back({":path", path});
    h.push_back({":authority", authority_});
    h.push_back({"content-type", "application/grpc"});
    h.push_back({"te", "trailers"});
    h.push_back({"user-agent", opts_.user_agent});
    h.push_back({"grpc-accept-encoding", accept_encoding_header()});
    if (o.compression != encoding::identity)
        h.push_back({"grpc-encoding", std::string(to_string(o.compression))});
    if (o.timeout)
        h.push_back({"grpc-timeout", format_timeout(*o.timeout)});
    for (const auto& m : o.metadata)
        h.push_back({m.key, encode_value(m.key, m.value)});
    return h;
}

const std::vector<http2::header>* channel::cached_head(const std::string& path)
{
    if (auto it = heads_.find(path); it != heads_.end())
        return &it->second;
    if (heads_.size() >= max_cached_heads)
        return nullptr;
    return &heads_.emplace(path, request_headers(path, call_options{})).first->second;
}

std::shared_ptr<client_call> channel::start_call(std::string path, call_options opts)
{
    auto call =
        std::make_shared<client_call>(shared_from_this(), opts_, std::move(path), std::move(opts));
    if (auto* s = session(); s && is_open())
        call->start(*s);
    else
        call->fail_unstarted(
            status(status_code::unavailable,
                   "channel is not open: " + (error_ ? error_.message() : std::string("closed"))));
    return call;
}

asio::awaitable<status> channel::unary(std::string path, const google::protobuf::MessageLite& req,
                                       google::protobuf::MessageLite& resp, call_options opts)
{
    auto call = start_call(std::move(path), std::move(opts));
    co_await call->write(req);
    call->writes_done();
    bool got = co_await call->read(resp);
    status s = co_await call->finish();
    if (s.ok() && !got)
        co_return status(status_code::internal, "grpc: no response message for a unary call");
    co_return s;
}
} // namespace rpcplugin::grpc
