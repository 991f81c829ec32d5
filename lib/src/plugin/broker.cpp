#include "rpcplugin/plugin/broker.hpp"

#include "plugin/detail/startup.hpp"
#include "rpcplugin/wire/handshake.hpp"

#include "plugin/grpc_broker.pb.h"

#include "detail/log_exceptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

namespace rpcplugin::plugin
{
using namespace std::chrono_literals;

broker::broker(asio::any_io_executor ex, settings s)
    : ex_(std::move(ex))
    , settings_(std::move(s))
{
}

broker::~broker() = default;

boost::system::result<void>
broker::accept_and_serve(std::uint32_t id, const std::function<void(grpc::server&)>& setup)
{
    transport::endpoint ep =
        settings_.network == "unix"
            ? transport::unix_endpoint(detail::random_socket_path(settings_.socket_dir))
            : transport::tcp_endpoint("127.0.0.1", 0);
    auto l = settings_.network == "unix"
                 ? transport::listener::bind(ex_, ep, settings_.unix_options)
                 : transport::listener::bind(ex_, ep);
    if (!l)
        return l.error();
    served s;
    s.listener = std::make_unique<transport::listener>(std::move(*l));
    s.server = std::make_unique<grpc::server>(settings_.server_options);
    setup(*s.server);
    asio::co_spawn(ex_, s.server->serve(*s.listener, settings_.server_tls),
                   rpcplugin::detail::log_exceptions(settings_.server_options.log,
                                                     "rpcplugin.plugin", "a brokered gRPC server"));
    const auto& local = s.listener->local_endpoint();
    conn_info info{id, settings_.network,
                   settings_.network == "unix" ? local.path
                                               : local.host + ":" + std::to_string(local.port)};
    std::function<void()> wake;
    {
        std::lock_guard lock(mutex_);
        servers_.push_back(std::move(s));
        outgoing_.push_back(std::move(info));
        wake = wake_writer_;
    }
    if (wake)
        wake();
    return {};
}

asio::awaitable<boost::system::result<std::shared_ptr<grpc::channel>>>
broker::dial(std::uint32_t id)
{
    auto ex = co_await asio::this_coro::executor;
    auto deadline = std::chrono::steady_clock::now() + settings_.dial_timeout;
    std::optional<conn_info> info;
    for (;;)
    {
        {
            std::lock_guard lock(mutex_);
            if (auto it = announced_.find(id); it != announced_.end())
            {
                info = it->second;
                announced_.erase(it);
            }
        }
        if (info || std::chrono::steady_clock::now() >= deadline)
            break;
        // The ConnInfo arrives on the broker stream, usually within a round trip.
        asio::steady_timer t(ex, 5ms);
        co_await t.async_wait(asio::use_awaitable);
    }
    if (!info)
        co_return boost::system::error_code(asio::error::timed_out);
    grpc::channel_options o;
    o.tls = settings_.client_tls;
    o.log = settings_.server_options.log;
    std::string target = wire::dial_target(info->network, info->address);
    co_return co_await grpc::channel::connect(ex, target, o);
}

asio::awaitable<grpc::status> broker::stream(grpc::server_context& ctx)
{
    using namespace asio::experimental::awaitable_operators;
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<rpcplugin::detail::waiter>(ex);
    {
        std::lock_guard lock(mutex_);
        wake_writer_ = [ex, weak = std::weak_ptr(wake)]
        {
            asio::post(ex,
                       [weak]
                       {
                           if (auto w = weak.lock())
                               w->notify();
                       });
        };
    }
    wake->notify(); // send what was queued before the host connected
    auto reader = [&]() -> asio::awaitable<void>
    {
        ::plugin::ConnInfo in;
        for (;;)
        {
            std::string buf;
            bool got = co_await ctx.read(buf);
            if (!got || !in.ParseFromString(buf))
                co_return;
            std::lock_guard lock(mutex_);
            announced_[in.service_id()] = {in.service_id(), in.network(), in.address()};
        }
    };
    auto writer = [&]() -> asio::awaitable<void>
    {
        for (;;)
        {
            std::deque<conn_info> batch;
            {
                std::lock_guard lock(mutex_);
                batch.swap(outgoing_);
            }
            for (auto& c : batch)
            {
                ::plugin::ConnInfo out;
                out.set_service_id(c.id);
                out.set_network(c.network);
                out.set_address(c.address);
                bool ok = co_await ctx.write(out);
                if (!ok)
                    co_return;
            }
            auto [ec] = co_await wake->async_wait(use_tuple);
            if (ec || ctx.finished())
                co_return;
        }
    };
    co_await (reader() || writer());
    {
        std::lock_guard lock(mutex_);
        wake_writer_ = nullptr;
    }
    co_return grpc::status();
}

void broker::add_to(grpc::server& srv)
{
    srv.add_method("/plugin.GRPCBroker/StartStream", grpc::rpc_kind::bidi_streaming,
                   [this](grpc::server_context& ctx) { return stream(ctx); });
}

asio::awaitable<void> broker::shutdown(std::chrono::milliseconds grace)
{
    std::vector<served> servers;
    {
        std::lock_guard lock(mutex_);
        servers.swap(servers_);
    }
    for (auto& s : servers)
        co_await s.server->drain(grace);
    for (auto& s : servers)
        s.listener->close();
}
} // namespace rpcplugin::plugin
