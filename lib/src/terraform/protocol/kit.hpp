#pragma once

// terraform::serve's state shared by both protocols (serve.cpp): the provider, the implied
// types of its schemas, and the generations of calls StopProvider stops.

#include <rpcplugin/terraform/provider.hpp>
#include <rpcplugin/terraform/schema.hpp>

#include <rpcplugin/asio.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace rpcplugin::terraform::detail
{

/// The kit's state shared by both protocols: the provider, its types, and StopProvider.
class kit
{
public:
    explicit kit(provider& p)
        : p_(p)
    {
        provider_type_ = implied_type(p.get_schema().body);
        for (const auto& [name, r] : p.resources())
            resource_types_[name] = implied_type(r->get_schema().body);
        for (const auto& [name, d] : p.data_sources())
            data_types_[name] = implied_type(d->get_schema().body);
    }

    provider& p_;
    type provider_type_;
    std::map<std::string, type> resource_types_;
    std::map<std::string, type> data_types_;
    /// One generation of calls: those StopProvider will stop together. The kit runs on
    /// one thread (serve's io_context), so the counters need no lock.
    struct generation
    {
        explicit generation(const asio::any_io_executor& ex)
            : stop(ex, asio::steady_timer::time_point::max())
            , drained(ex, asio::steady_timer::time_point::max())
        {
        }
        asio::steady_timer stop;    // cancelled by StopProvider
        asio::steady_timer drained; // cancelled when the last stopped call has returned
        std::size_t in_flight = 0;
    };
    std::shared_ptr<generation> gen_;

    /// Runs `work` until it completes or StopProvider is called; nullopt when stopped.
    /// Every handler that runs provider code goes through here.
    template <class T>
    asio::awaitable<std::optional<T>> stoppable(asio::awaitable<T> work)
    {
        auto ex = co_await asio::this_coro::executor;
        if (!gen_)
            gen_ = std::make_shared<generation>(ex);
        std::shared_ptr<generation> g = gen_;
        ++g->in_flight;
        struct leave
        {
            generation& g;
            ~leave()
            {
                if (--g.in_flight == 0)
                    g.drained.cancel();
            }
        } guard{*g};
        asio::awaitable<void> wait = wait_timer(g);
        using namespace boost::asio::experimental::awaitable_operators;
        auto race = std::move(work) || std::move(wait);
        auto r = co_await std::move(race);
        if (r.index() == 0)
            co_return std::move(std::get<0>(r));
        co_return std::nullopt;
    }

    static asio::awaitable<void> wait_timer(std::shared_ptr<generation> g)
    {
        auto [ec] = co_await g->stop.async_wait(use_tuple);
        (void)ec;
    }

    /// StopProvider: cancels every call of this generation and completes once they have
    /// all returned; later calls belong to a fresh generation and run normally.
    asio::awaitable<void> stop_all()
    {
        std::shared_ptr<generation> g = std::move(gen_);
        if (!g)
            co_return;
        g->stop.cancel();
        if (g->in_flight > 0)
        {
            auto [ec] = co_await g->drained.async_wait(use_tuple);
            (void)ec;
        }
    }
};

} // namespace rpcplugin::terraform::detail
