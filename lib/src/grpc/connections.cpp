#include "grpc/detail/connections.hpp"

#include "rpcplugin/http2/server_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace rpcplugin::grpc::detail
{
/** A `wait_empty` in progress: told through a thread-safe channel (one slot, so that a
    notice sent before the wait began is kept). */
class empty_waiter
{
public:
    explicit empty_waiter(asio::any_io_executor ex)
        : channel_(std::move(ex), 1)
    {
    }
    void notify() { channel_.try_send(boost::system::error_code{}); }
    auto async_wait() { return channel_.async_receive(use_tuple); }

private:
    asio::experimental::concurrent_channel<void(boost::system::error_code)> channel_;
};

connections::connections() = default;
connections::~connections() = default;

std::shared_ptr<connections::member>
connections::join(std::uint64_t id, asio::any_io_executor strand, std::size_t max_connections)
{
    auto m = std::make_shared<member>(std::move(strand));
    std::lock_guard lock(mutex_);
    if (max_connections != 0 && members_.size() >= max_connections)
        return nullptr;
    members_.emplace(id, m);
    return m;
}

void connections::leave(std::uint64_t id)
{
    std::vector<std::shared_ptr<empty_waiter>> wake;
    {
        std::lock_guard lock(mutex_);
        members_.erase(id);
        if (members_.empty())
            wake = waiters_;
    }
    for (auto& w : wake)
        w->notify();
}

std::size_t connections::size() const
{
    std::lock_guard lock(mutex_);
    return members_.size();
}

void connections::attach(std::uint64_t id, http2::server_session* s)
{
    std::shared_ptr<member> m;
    {
        std::lock_guard lock(mutex_);
        auto it = members_.find(id);
        if (it == members_.end())
            return;
        m = it->second;
    }
    m->session = s; // on the connection's strand, like every use of it
}

std::size_t connections::each_session(void (*op)(http2::server_session&))
{
    std::lock_guard lock(mutex_);
    // (not a structured binding: clang 14 cannot capture one)
    for (const auto& entry : members_)
        asio::post(entry.second->strand,
                   [m = entry.second, op]
                   {
                       if (m->session)
                           op(*m->session);
                   });
    return members_.size();
}

std::size_t connections::cancel(asio::cancellation_type type)
{
    std::lock_guard lock(mutex_);
    for (const auto& entry : members_)
        asio::post(entry.second->strand, [m = entry.second, type] { m->signal.emit(type); });
    return members_.size();
}

asio::awaitable<bool> connections::wait_empty(std::chrono::steady_clock::time_point deadline)
{
    // On a strand of its own: the notice (sent from any connection's thread) and the timer
    // complete on it one after the other, so neither cancels the other while it completes
    // (a race on a multi-threaded io_context that freed the channel under the timer's
    // cancellation of its receive).
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    co_return co_await asio::co_spawn(strand, wait_empty_on_strand(deadline), asio::use_awaitable);
}

asio::awaitable<bool>
connections::wait_empty_on_strand(std::chrono::steady_clock::time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    auto ex = co_await asio::this_coro::executor;
    auto waiter = std::make_shared<empty_waiter>(ex);
    {
        std::lock_guard lock(mutex_);
        if (members_.empty())
            co_return true;
        waiters_.push_back(waiter);
    }
    asio::steady_timer timer(ex, deadline);
    co_await (waiter->async_wait() || timer.async_wait(use_tuple));
    std::lock_guard lock(mutex_);
    std::erase(waiters_, waiter);
    co_return members_.empty();
}

bool connections::begin_handshake(std::size_t max) noexcept
{
    auto n = handshakes_.load(std::memory_order_relaxed);
    do
    {
        if (max != 0 && n >= max)
            return false;
    } while (!handshakes_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
}

void connections::end_handshake() noexcept
{
    handshakes_.fetch_sub(1, std::memory_order_relaxed);
}

bool connections::add_listener(transport::listener* l)
{
    std::lock_guard lock(mutex_);
    if (draining_)
        return false;
    listeners_.push_back(l);
    return true;
}

void connections::remove_listener(transport::listener* l)
{
    std::lock_guard lock(mutex_);
    std::erase(listeners_, l);
}

bool connections::start_drain(asio::any_io_executor ex)
{
    std::lock_guard lock(mutex_);
    if (draining_.exchange(true))
        return false;
    for (auto* l : listeners_)
        asio::post(ex, [l] { l->close(); });
    return true;
}
} // namespace rpcplugin::grpc::detail
