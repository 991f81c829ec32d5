#include "rpcplugin/grpc/server.hpp"

#include "grpc/detail/connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

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
    while (l.is_open())
    {
        auto strand = asio::make_strand(ex);
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

asio::awaitable<void> server::serve_connection(transport::socket s,
                                               std::shared_ptr<asio::ssl::context> tls)
{
    co_await std::visit(
        [&](auto& sock) { return detail::run_connection(*this, std::move(sock), std::move(tls)); },
        s);
}
} // namespace rpcplugin::grpc
