#include "rpcplugin/stage/rate_limit.hpp"

#include "rpcplugin/grpc/server_context.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace rpcplugin::stage
{
namespace
{
using clock = token_bucket::clock;

class limiter
{
public:
    explicit limiter(rate_limit_options opts)
        : opts_(std::move(opts))
        , global_(opts_.requests_per_second, opts_.burst, opts_.now())
    {
    }

    const rate_limit_options& options() const noexcept { return opts_; }

    bool exempt(std::string_view path) const noexcept
    {
        // A path without a method counts as a service name (the call fails later anyway).
        const auto split = grpc::split_method_path(path);
        const std::string_view svc =
            split ? split->service : path.substr(path.starts_with('/') ? 1 : 0);
        return std::find(opts_.exempt_services.begin(), opts_.exempt_services.end(), svc) !=
               opts_.exempt_services.end();
    }

    // Takes a token for the call: zero when admitted, else how long until one arrives.
    clock::duration take(const grpc::server_context& ctx)
    {
        std::lock_guard lock(mutex_);
        auto now = opts_.now();
        token_bucket& b = bucket_for(ctx, now);
        if (b.try_take(now))
            return clock::duration::zero();
        return std::max(b.time_until_token(now), clock::duration(1));
    }

private:
    token_bucket& bucket_for(const grpc::server_context& ctx, clock::time_point now)
    {
        switch (opts_.scope)
        {
        case rate_limit_scope::global: return global_;
        case rate_limit_scope::per_connection:
            return keyed(by_connection_, ctx.connection_id(), now);
        case rate_limit_scope::per_method: return keyed(by_method_, ctx.method(), now);
        }
        return global_;
    }

    template <class Map, class Key>
    token_bucket& keyed(Map& m, const Key& key, clock::time_point now)
    {
        if (++uses_ % 256 == 0)
            for (auto it = m.begin(); it != m.end();)
                it = it->second.full(now) ? m.erase(it) : std::next(it);
        auto it = m.find(key);
        if (it == m.end())
            it = m.emplace(key, token_bucket(opts_.requests_per_second, opts_.burst, now)).first;
        return it->second;
    }

    rate_limit_options opts_;
    std::mutex mutex_;
    token_bucket global_;
    std::map<std::uint64_t, token_bucket> by_connection_;
    std::map<std::string, token_bucket, std::less<>> by_method_;
    std::uint64_t uses_ = 0;
};

grpc::status exceeded()
{
    return grpc::status(grpc::status_code::resource_exhausted, "rate limit exceeded");
}

asio::awaitable<bool> sleep_for(const rate_limit_options& opts, clock::duration d)
{
    if (opts.sleep)
        co_return co_await opts.sleep(d);
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    auto [ec] = co_await t.async_wait(use_tuple);
    co_return !ec;
}

asio::awaitable<grpc::status> limit(std::shared_ptr<limiter> l, grpc::server_context& ctx,
                                    grpc::call_next next)
{
    if (l->exempt(ctx.method()))
        co_return co_await next(ctx);
    const auto& opts = l->options();
    std::optional<clock::time_point> give_up;
    for (;;)
    {
        auto wait = l->take(ctx);
        if (wait == clock::duration::zero())
            break;
        if (opts.max_wait <= std::chrono::milliseconds::zero())
            co_return exceeded();
        // Waiting mode: sleep for the token, within max_wait and the call's deadline.
        const auto now = opts.now();
        if (!give_up)
        {
            give_up = now + opts.max_wait;
            if (ctx.deadline())
                give_up = std::min(*give_up, *ctx.deadline());
        }
        if (now + wait > *give_up)
            co_return exceeded();
        const bool slept = co_await sleep_for(opts, wait);
        if (!slept || ctx.cancelled())
            co_return grpc::status(grpc::status_code::cancelled, "call cancelled");
    }
    co_return co_await next(ctx);
}
} // namespace

std::vector<std::string> default_exempt_services()
{
    return {"grpc.health.v1.Health", "plugin.GRPCController", "plugin.GRPCStdio",
            "plugin.GRPCBroker"};
}

grpc::call_stage rate_limit(rate_limit_options opts)
{
    auto l = std::make_shared<limiter>(std::move(opts));
    return [l](grpc::server_context& ctx, grpc::call_next next) { return limit(l, ctx, next); };
}
} // namespace rpcplugin::stage
