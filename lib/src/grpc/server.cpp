#include "rpcplugin/grpc/server.hpp"

#include "grpc/detail/connection.hpp"
#include "grpc/detail/connections.hpp"
#include "grpc/detail/drain.hpp"
#include "detail/log_exceptions.hpp"
#include "rpcplugin/detail/strand.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace rpcplugin::grpc
{
std::string_view to_string(rpc_kind kind) noexcept
{
    switch (kind)
    {
    case rpc_kind::unary: return "unary";
    case rpc_kind::client_streaming: return "client_streaming";
    case rpc_kind::server_streaming: return "server_streaming";
    case rpc_kind::bidi_streaming: return "bidi_streaming";
    }
    return "unknown";
}

std::optional<method_path> split_method_path(std::string_view path) noexcept
{
    if (path.starts_with('/'))
        path.remove_prefix(1);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    return method_path{path.substr(0, slash), path.substr(slash + 1)};
}

server::server(server_options opts)
    : opts_(std::move(opts))
    , serve_last_step_([this](connection_context& c)
                       { return detail::run_connection(*this, *connections_, c); })
    , connections_(std::make_unique<detail::connections>())
{
}

server::~server()
{
    // Coroutines still suspended in an io_context may refer to the registry after this:
    // they hold uses of their own (connections_user), and the last use deletes it.
    connections_.release()->remove_user();
}

void server::add_method(std::string path, rpc_kind kind, raw_handler handler)
{
    if (auto split = split_method_path(path))
        services_.emplace(split->service);
    methods_.insert_or_assign(std::move(path), method_entry{kind, std::move(handler)});
}

const method_entry* server::find(std::string_view path) const noexcept
{
    auto it = methods_.find(path);
    return it == methods_.end() ? nullptr : &it->second;
}

bool server::has_service(std::string_view service) const noexcept
{
    return services_.find(service) != services_.end();
}

asio::awaitable<void> server::serve(transport::listener& l, std::shared_ptr<asio::ssl::context> tls)
{
    auto ex = co_await asio::this_coro::executor;
    detail::connections_user use(*connections_); // first: destroyed last
    if (!connections_->add_listener(&l))
        co_return; // draining
    struct deregister
    {
        detail::connections& c;
        transport::listener& l;
        ~deregister() { c.remove_listener(&l); }
    } guard{*connections_, l};
    while (l.is_open() && !guard.c.draining())
    {
        auto strand = rpcplugin::detail::make_strand(ex);
        auto [ec, sock] = co_await l.accept(strand);
        if (ec)
        {
            if (ec == asio::error::operation_aborted || !l.is_open())
                break;
            // Resource exhaustion (EMFILE...) must not spin: log and go on.
            opts_.log.log(log_level::warn, "rpcplugin.grpc", "accept failed",
                          {{"error", ec.message()}});
            continue;
        }
        asio::co_spawn(
            strand, serve_connection(std::move(sock), tls),
            rpcplugin::detail::log_exceptions(opts_.log, "rpcplugin.grpc", "a server connection"));
    }
}

std::size_t server::connection_count() const
{
    return connections_->size();
}

std::size_t server::pending_handshakes() const noexcept
{
    return connections_->pending_handshakes();
}

bool server::draining() const noexcept
{
    return connections_->draining();
}

asio::awaitable<void> server::drain(std::chrono::milliseconds grace)
{
    co_await detail::drain(*connections_, drain_hooks_, grace, opts_.log);
}

namespace
{
std::string remote_address(const transport::socket& s)
{
    return std::visit(
        [](const auto& sock) -> std::string
        {
            boost::system::error_code ec;
            auto ep = sock.remote_endpoint(ec);
            if (ec)
                return "unknown";
            if constexpr (std::is_same_v<std::decay_t<decltype(sock)>, transport::tcp_socket>)
                return ep.address().to_string() + ":" + std::to_string(ep.port());
            else
                return "unix:" + ep.path();
        },
        s);
}

// The connection stages, then the server's own serving (run_connection).
asio::awaitable<void> run_pipeline(std::span<const connection_stage> stages,
                                   const connection_next::last_step& last, connection_context& c)
{
    connection_next next(stages, last);
    co_await next(c);
}
} // namespace

asio::awaitable<void> server::serve_connection(transport::socket s,
                                               std::shared_ptr<asio::ssl::context> tls)
{
    auto ex = co_await asio::this_coro::executor;
    connection_context c{next_connection_id_.fetch_add(1, std::memory_order_relaxed),
                         remote_address(s),
                         s,
                         std::move(tls),
                         std::chrono::steady_clock::now() + opts_.http2.preface_timeout,
                         opts_.http2};
    // Admission: the connection is a member of the server's task group until it ends (the
    // drain cancels it through the member's signal and awaits its end), unless the group
    // is full.
    detail::connections_user use(*connections_); // outlives `guard`, even the server
    auto member = connections_->join(c.id, ex, opts_.admission.max_connections);
    if (!member)
    {
        opts_.log.log(log_level::warn, "rpcplugin.grpc", "connection refused: too many connections",
                      {{"peer", c.peer},
                       {"max_connections", std::to_string(opts_.admission.max_connections)}});
        co_return;
    }
    struct leave
    {
        detail::connections& conns;
        std::uint64_t id;
        ~leave() { conns.leave(id); }
    } guard{*connections_, c.id};
    // Cancellation of the awaiting coroutine reaches the connection too.
    auto cs = co_await asio::this_coro::cancellation_state;
    auto outer = cs.slot();
    if (outer.is_connected())
        outer.assign([member](asio::cancellation_type t) { member->signal.emit(t); });
    co_await asio::co_spawn(
        ex, run_pipeline(connection_stages_, serve_last_step_, c),
        asio::bind_cancellation_slot(member->signal.slot(), asio::use_awaitable));
    if (outer.is_connected())
        outer.clear();
}
} // namespace rpcplugin::grpc
