#pragma once

/**
 * @file
 * Runs one coroutine on an io_context to completion, for tests: exceptions are rethrown
 * to the caller (asio-grpc's RethrowFirstArg) and a watchdog timer turns a hang into a
 * failure instead of a stuck test binary.
 */

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace rpcplugin::test
{
/** Thrown by `run` when the coroutine did not finish before the watchdog fired. */
class timed_out : public std::runtime_error
{
public:
    timed_out()
        : std::runtime_error("test::run: the coroutine did not finish in time (watchdog)")
    {
    }
};

namespace detail
{
template <class T>
struct run_state
{
    bool done = false;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
};

// The result is stored by the coroutine itself rather than passed to co_spawn's
// completion, which would need a default-constructible T (an accepted socket is not).
template <class T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> op,
                                          std::shared_ptr<run_state<T>> state)
{
    state->value.emplace(co_await std::move(op));
}
} // namespace detail

/**
 * Co-spawns `op` on `io`, runs `io` until it finishes and returns its result; rethrows its
 * exception. Throws `timed_out` after `timeout` (the coroutine is left suspended; destroying
 * `io` destroys it). Other work on `io` runs too, but is not waited for.
 */
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> op,
      std::chrono::steady_clock::duration timeout = std::chrono::seconds(10))
{
    // Shared: if the watchdog fires, the completion handler may outlive this call.
    auto state = std::make_shared<detail::run_state<T>>();
    boost::asio::steady_timer watchdog(io, timeout);
    bool fired = false;
    watchdog.async_wait([&fired](boost::system::error_code ec) { fired = !ec; });
    auto completion = [state](std::exception_ptr e)
    {
        state->error = e;
        state->done = true;
    };
    if constexpr (std::is_void_v<T>)
        boost::asio::co_spawn(io, std::move(op), completion);
    else
        boost::asio::co_spawn(io, detail::store_result(std::move(op), state), completion);
    io.restart();
    while (!state->done && !fired && io.run_one())
    {
    }
    watchdog.cancel();
    io.restart();
    io.poll(); // lets the watchdog's handler see the cancellation while `fired` is alive
    if (!state->done)
        throw timed_out();
    if (state->error)
        std::rethrow_exception(state->error);
    if constexpr (!std::is_void_v<T>)
        return std::move(*state->value);
}

/**
 * Runs `io` until `done()` is true. Throws `timed_out` after `timeout`, or a
 * `std::runtime_error` when `io` runs out of work first.
 */
template <class Predicate>
void run_until(boost::asio::io_context& io, Predicate done,
               std::chrono::steady_clock::duration timeout = std::chrono::seconds(10))
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    io.restart();
    while (!done())
    {
        if (std::chrono::steady_clock::now() >= deadline)
            throw timed_out();
        if (io.run_one_for(std::chrono::milliseconds(10)) == 0 && io.stopped())
            throw std::runtime_error("test::run_until: the io_context ran out of work");
    }
}
} // namespace rpcplugin::test
