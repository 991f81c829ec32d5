#include "rpcplugin/detail/waiter.hpp"

#include "support/run.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;
using rpcplugin::detail::waiter;

namespace
{
/** Records the completions of one `async_wait`. */
struct completion
{
    int calls = 0;
    error_code ec;

    auto handler()
    {
        return [this](error_code e)
        {
            ++calls;
            ec = e;
        };
    }
};
} // namespace

TEST_SUITE("detail")
{
    TEST_CASE("waiter: a notify before the wait completes the next wait, once")
    {
        asio::io_context io;
        waiter w(io.get_executor());
        w.notify();
        w.notify(); // coalesces with the first: the flag is a level, not a counter
        CHECK_FALSE(w.waiting());

        completion first;
        w.async_wait(first.handler());
        CHECK(first.calls == 0); // never synchronously, even when ready
        io.poll();
        CHECK(first.calls == 1);
        CHECK_FALSE(first.ec);
        CHECK_FALSE(w.waiting());

        completion second;
        w.async_wait(second.handler());
        io.restart();
        io.poll();
        CHECK(second.calls == 0); // the level was consumed by the first wait
        CHECK(w.waiting());
        w.notify();
        io.restart();
        io.poll();
        CHECK(second.calls == 1);
        CHECK_FALSE(second.ec);
    }

    TEST_CASE("waiter: a wait then a notify completes the wait with success")
    {
        asio::io_context io;
        waiter w(io.get_executor());
        completion c;
        w.async_wait(c.handler());
        io.poll();
        CHECK(c.calls == 0);
        CHECK(w.waiting());

        w.notify();
        CHECK_FALSE(w.waiting());
        CHECK(c.calls == 0); // posted, not invoked from notify()
        io.restart();
        io.poll();
        CHECK(c.calls == 1);
        CHECK_FALSE(c.ec);

        // The notify was consumed by the pending wait, so it does not arm the level.
        completion next;
        w.async_wait(next.handler());
        io.restart();
        io.poll();
        CHECK(next.calls == 0);
        w.cancel();
        io.restart();
        io.poll();
        CHECK(next.calls == 1);
        CHECK(next.ec == asio::error::operation_aborted);
    }

    TEST_CASE("waiter: a coroutine waits and is resumed by a notify")
    {
        asio::io_context io;
        waiter w(io.get_executor());
        std::vector<std::string> order;
        asio::post(io,
                   [&]
                   {
                       order.push_back("notify");
                       w.notify();
                   });
        auto ec = rpcplugin::test::run(io,
                                       [&]() -> asio::awaitable<error_code>
                                       {
                                           order.push_back("wait");
                                           auto [e] = co_await w.async_wait(rpcplugin::use_tuple);
                                           order.push_back("resumed");
                                           co_return e;
                                       }());
        CHECK_FALSE(ec);
        CHECK(order == std::vector<std::string>{"notify", "wait", "resumed"});
    }

    TEST_CASE("waiter: per-operation cancellation completes the wait with operation_aborted")
    {
        auto type = asio::cancellation_type::terminal;
        SUBCASE("terminal")
        {
            type = asio::cancellation_type::terminal;
        }
        SUBCASE("partial")
        {
            type = asio::cancellation_type::partial;
        }
        SUBCASE("total")
        {
            type = asio::cancellation_type::total;
        }

        asio::io_context io;
        waiter w(io.get_executor());
        asio::cancellation_signal sig;
        completion c;
        w.async_wait(asio::bind_cancellation_slot(sig.slot(), c.handler()));
        io.poll();
        CHECK(w.waiting());
        CHECK(sig.slot().has_handler());

        sig.emit(type);
        CHECK_FALSE(w.waiting());
        CHECK(c.calls == 0); // posted
        io.restart();
        io.poll();
        CHECK(c.calls == 1);
        CHECK(c.ec == asio::error::operation_aborted);

        // A later notify does not reach the cancelled handler; it arms the next wait.
        w.notify();
        io.restart();
        io.poll();
        CHECK(c.calls == 1);
        completion next;
        w.async_wait(next.handler());
        io.restart();
        io.poll();
        CHECK(next.calls == 1);
        CHECK_FALSE(next.ec);
    }

    TEST_CASE("waiter: a normal completion clears the cancellation slot")
    {
        asio::io_context io;
        std::optional<waiter> w(std::in_place, io.get_executor());
        asio::cancellation_signal sig;
        completion c;
        w->async_wait(asio::bind_cancellation_slot(sig.slot(), c.handler()));
        CHECK(sig.slot().has_handler());
        w->notify();
        CHECK_FALSE(sig.slot().has_handler());
        io.poll();
        CHECK(c.calls == 1);
        CHECK_FALSE(c.ec);

        // With the slot cleared, emitting after the waiter is gone touches nothing
        // (ASan reports a use after free otherwise).
        w.reset();
        sig.emit(asio::cancellation_type::terminal);
        io.restart();
        io.poll();
        CHECK(c.calls == 1);
    }

    TEST_CASE("waiter: destruction with a pending wait completes it with operation_aborted")
    {
        asio::io_context io;
        asio::cancellation_signal sig;
        completion plain;
        completion bound;
        {
            waiter w1(io.get_executor());
            waiter w2(io.get_executor());
            w1.async_wait(plain.handler());
            w2.async_wait(asio::bind_cancellation_slot(sig.slot(), bound.handler()));
            io.poll();
            CHECK(plain.calls == 0);
            CHECK(bound.calls == 0);
        }
        CHECK(plain.calls == 0); // posted from the destructor, not invoked in it
        CHECK_FALSE(sig.slot().has_handler());
        io.restart();
        io.poll();
        CHECK(plain.calls == 1);
        CHECK(plain.ec == asio::error::operation_aborted);
        CHECK(bound.calls == 1);
        CHECK(bound.ec == asio::error::operation_aborted);
        sig.emit(asio::cancellation_type::terminal); // must not reach the dead waiter
        CHECK(bound.calls == 1);
    }

    TEST_CASE("waiter: a coroutine waiting in a parallel group is cancelled by the other branch")
    {
        using namespace asio::experimental::awaitable_operators;
        asio::io_context io;
        waiter w(io.get_executor());
        auto result =
            rpcplugin::test::run(io,
                                 [&]() -> asio::awaitable<std::size_t>
                                 {
                                     asio::steady_timer t(io, std::chrono::milliseconds(1));
                                     auto r = co_await (w.async_wait(asio::use_awaitable) ||
                                                        t.async_wait(asio::use_awaitable));
                                     co_return r.index();
                                 }());
        CHECK(result == 1); // the timer won; the wait was cancelled, not left pending
        CHECK_FALSE(w.waiting());
    }

    TEST_CASE("waiter: notify from inside a posted handler never resumes the waiter synchronously")
    {
        asio::io_context io;
        auto strand = asio::make_strand(io);
        waiter w(strand);
        bool resumed = false;
        std::vector<std::string> order;
        asio::co_spawn(
            strand,
            [&]() -> asio::awaitable<void>
            {
                auto [ec] = co_await w.async_wait(rpcplugin::use_tuple);
                CHECK_FALSE(ec);
                resumed = true;
                order.push_back("resumed");
            },
            asio::detached);
        io.poll(); // the coroutine is now suspended in async_wait
        REQUIRE(w.waiting());
        asio::post(strand,
                   [&]
                   {
                       w.notify();
                       // Like an nghttp2 callback: the waiter must not run inside notify().
                       CHECK_FALSE(resumed);
                       order.push_back("notifier returned");
                   });
        io.restart();
        io.run();
        CHECK(resumed);
        CHECK(order == std::vector<std::string>{"notifier returned", "resumed"});
    }
}
