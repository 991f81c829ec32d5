#include "rpcplugin/grpc/server.hpp"

#include "grpc/detail/connection.hpp"
#include "rpcplugin/detail/strand.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/post.hpp>
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

server::server(server_options opts)
    : opts_(std::move(opts))
{
}

server::~server() = default;

void server::add_method(std::string path, rpc_kind kind, raw_handler handler)
{
    // "/package.Service/Method" -> "package.Service"
    std::string_view p = path;
    if (p.starts_with('/'))
        p.remove_prefix(1);
    if (auto slash = p.find('/'); slash != std::string_view::npos)
        services_.emplace(p.substr(0, slash));
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
    {
        std::lock_guard lock(mutex_);
        if (draining_)
            co_return;
        listeners_.push_back(&l);
    }
    struct deregister
    {
        server& s;
        transport::listener& l;
        ~deregister()
        {
            std::lock_guard lock(s.mutex_);
            std::erase(s.listeners_, &l);
        }
    } guard{*this, l};
    while (l.is_open() && !draining_)
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
        asio::co_spawn(strand, serve_connection(std::move(sock), tls),
                       [this](std::exception_ptr e)
                       {
                           if (!e)
                               return;
                           try
                           {
                               std::rethrow_exception(e);
                           }
                           catch (const std::exception& x)
                           {
                               opts_.log.log(log_level::error, "rpcplugin.grpc",
                                             "connection ended with an exception",
                                             {{"error", x.what()}});
                           }
                       });
    }
}

std::size_t server::connection_count() const
{
    std::lock_guard lock(mutex_);
    return connections_.size();
}

void server::register_connection(connection_entry* c)
{
    std::lock_guard lock(mutex_);
    connections_.push_back(c);
}

void server::unregister_connection(connection_entry* c)
{
    std::lock_guard lock(mutex_);
    std::erase(connections_, c);
    if (connections_.empty() && idle_)
        asio::post(idle_->get_executor(), [t = &*idle_] { t->cancel(); });
}

asio::awaitable<void> server::drain(std::chrono::milliseconds grace)
{
    using namespace std::chrono_literals;
    auto ex = co_await asio::this_coro::executor;
    std::vector<connection_entry*> conns;
    {
        std::lock_guard lock(mutex_);
        if (!draining_.exchange(true))
        {
            for (auto* l : listeners_)
                asio::post(ex, [l] { l->close(); });
        }
        if (!idle_)
            idle_.emplace(ex, std::chrono::steady_clock::time_point::max());
        conns = connections_;
    }
    opts_.log.log(log_level::info, "rpcplugin.grpc", "draining",
                  {{"connections", std::to_string(conns.size())}});
    // Phase 1: GOAWAY(2^31-1) so clients stop opening streams, then after a round-trip
    // allowance the final GOAWAY with the last stream id actually seen.
    for (auto* c : conns)
        asio::post(c->strand, [c] { c->session->shutdown_notice(); });
    asio::steady_timer t(ex, std::min<std::chrono::milliseconds>(grace, 100ms));
    co_await t.async_wait(use_tuple);
    {
        std::lock_guard lock(mutex_);
        for (auto* c : connections_)
            asio::post(c->strand, [c] { c->session->goaway(0); });
    }
    // Phase 2: wait for the connections to finish their calls, up to the grace.
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
    {
        idle_->expires_at(deadline);
        co_await idle_->async_wait(use_tuple);
    }
    // Phase 3: close what is left; their calls are cancelled.
    {
        std::lock_guard lock(mutex_);
        if (!connections_.empty())
            opts_.log.log(log_level::warn, "rpcplugin.grpc", "grace period over; closing connections",
                          {{"connections", std::to_string(connections_.size())}});
        for (auto* c : connections_)
            asio::post(c->strand, [c] { c->stream->close(); });
    }
    while (connection_count() > 0)
    {
        idle_->expires_after(50ms);
        co_await idle_->async_wait(use_tuple);
    }
}

asio::awaitable<void> server::serve_connection(transport::socket s,
                                               std::shared_ptr<asio::ssl::context> tls)
{
    co_await std::visit(
        [&](auto& sock) { return detail::run_connection(*this, std::move(sock), std::move(tls)); },
        s);
}
} // namespace rpcplugin::grpc
