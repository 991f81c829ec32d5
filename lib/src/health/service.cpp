#include "rpcplugin/health/service.hpp"

#include "grpc/health/v1/health.pb.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>

namespace rpcplugin::health
{
namespace pb = ::grpc::health::v1;

namespace
{
// Changes queued for a watcher that has not written them yet; beyond this, the oldest
// queued change is dropped (the watcher still ends on the latest status).
constexpr std::size_t max_pending_changes = 16;
} // namespace

struct service::watcher
{
    std::string name;
    asio::any_io_executor strand;
    // Weak: a notification posted just before the watch ends must not touch it.
    std::weak_ptr<rpcplugin::detail::waiter> wake;
    // Statuses of `name` not yet sent, oldest first; guarded by the service's mutex.
    std::deque<serving_status> pending;
};

void service::set_status(const std::string& name, serving_status s)
{
    std::lock_guard lock(mutex_);
    if (shut_down_)
        return;
    statuses_[name] = s;
    notify_all_locked();
}

serving_status service::status(const std::string& name) const
{
    std::lock_guard lock(mutex_);
    auto it = statuses_.find(name);
    return it == statuses_.end() ? serving_status::service_unknown : it->second;
}

void service::shutdown()
{
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    for (auto& [name, s] : statuses_)
        s = serving_status::not_serving;
    notify_all_locked();
}

void service::notify_all_locked()
{
    for (auto* w : watchers_)
    {
        auto it = statuses_.find(w->name);
        auto now = it == statuses_.end() ? serving_status::service_unknown : it->second;
        if (!w->pending.empty() && w->pending.back() == now)
            continue;
        if (w->pending.size() == max_pending_changes)
            w->pending.pop_front();
        w->pending.push_back(now);
        asio::post(w->strand,
                   [weak = w->wake]
                   {
                       if (auto wake = weak.lock())
                           wake->notify();
                   });
    }
}

asio::awaitable<grpc::status> service::watch(grpc::server_context& ctx, std::string name)
{
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<rpcplugin::detail::waiter>(ex);
    watcher w{name, ex, wake, {}};
    {
        std::lock_guard lock(mutex_);
        auto it = statuses_.find(name);
        w.pending.push_back(it == statuses_.end() ? serving_status::service_unknown : it->second);
        watchers_.push_back(&w);
    }
    struct deregister
    {
        service& s;
        watcher* w;
        ~deregister()
        {
            std::lock_guard lock(s.mutex_);
            std::erase(s.watchers_, w);
        }
    } guard{*this, &w};
    std::optional<serving_status> last;
    for (;;)
    {
        // Every change, in order (each status differs from the one before it).
        for (;;)
        {
            serving_status now;
            {
                std::lock_guard lock(mutex_);
                if (w.pending.empty())
                    break;
                now = w.pending.front();
                w.pending.pop_front();
            }
            if (now == last)
                continue;
            pb::HealthCheckResponse resp;
            resp.set_status(static_cast<pb::HealthCheckResponse::ServingStatus>(now));
            bool ok = co_await ctx.write(resp);
            if (!ok)
                co_return grpc::status(grpc::status_code::cancelled, "watch ended");
            last = now;
        }
        auto [ec] = co_await wake->async_wait(use_tuple);
        if (ec || ctx.finished())
            co_return grpc::status(grpc::status_code::cancelled, "watch ended");
    }
}

void service::add_to(grpc::server& srv)
{
    srv.on_drain([this] { shutdown(); });
    srv.add_unary<pb::HealthCheckRequest, pb::HealthCheckResponse>(
        "/grpc.health.v1.Health/Check",
        [this](grpc::server_context&, const pb::HealthCheckRequest& req,
               pb::HealthCheckResponse& resp) -> asio::awaitable<grpc::status>
        {
            serving_status s = status(req.service());
            if (s == serving_status::service_unknown)
                co_return grpc::status(grpc::status_code::not_found,
                                       "unknown service " + req.service());
            resp.set_status(static_cast<pb::HealthCheckResponse::ServingStatus>(s));
            co_return grpc::status();
        });
    srv.add_server_streaming<pb::HealthCheckRequest, pb::HealthCheckResponse>(
        "/grpc.health.v1.Health/Watch",
        [this](grpc::server_context& ctx, const pb::HealthCheckRequest& req,
               grpc::server_writer<pb::HealthCheckResponse>&) -> asio::awaitable<grpc::status>
        { co_return co_await watch(ctx, req.service()); });
}
} // namespace rpcplugin::health
