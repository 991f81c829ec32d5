#pragma once

/**
 * @file
 * A level-triggered, single-waiter notification for code that runs on one strand:
 * the bridge from nghttp2 callbacks (which must not resume coroutines) to coroutines.
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <cassert>
#include <optional>
#include <utility>

namespace rpcplugin::detail
{
/**
 * One waiter, many notifiers. `notify()` wakes the pending `async_wait`, or, when none is
 * pending, makes the next `async_wait` complete at once (the flag is level-triggered and
 * cleared by the wait that consumes it).
 *
 * Completion always goes through `asio::post` to the waiter's executor, so `notify()`
 * may be called from inside an nghttp2 callback. The waiting coroutine must run on that
 * same executor (the connection's strand); the handler is invoked there directly.
 *
 * @par Thread Safety
 * Not thread-safe: all calls must be made on the same strand as the waiting coroutine.
 */
class waiter
{
public:
    explicit waiter(asio::any_io_executor ex)
        : ex_(std::move(ex))
    {
    }

    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;

    ~waiter() { complete(asio::error::operation_aborted); }

    /**
     * Waits for a notification.
     *
     * Completion signature: `void(boost::system::error_code)`; success after `notify()`,
     * `operation_aborted` when cancelled or when the waiter is destroyed.
     *
     * Cancellation: terminal, partial and total cancellation complete the wait with
     * `operation_aborted`.
     */
    template <class CompletionToken>
    auto async_wait(CompletionToken&& token)
    {
        return asio::async_initiate<CompletionToken, void(boost::system::error_code)>(
            [this](auto handler)
            {
                assert(!handler_ && "one waiter at a time");
                if (ready_)
                {
                    ready_ = false;
                    asio::post(ex_, [h = std::move(handler)]() mutable
                               { std::move(h)(boost::system::error_code{}); });
                    return;
                }
                auto slot = asio::get_associated_cancellation_slot(handler);
                handler_.emplace(std::move(handler));
                if (slot.is_connected())
                {
                    slot_ = slot;
                    slot.assign([this](asio::cancellation_type)
                                { complete(asio::error::operation_aborted, true); });
                }
            },
            token);
    }

    /** Wakes the waiter, or arms the flag for the next wait. */
    void notify()
    {
        if (handler_)
            complete({});
        else
            ready_ = true;
    }

    /** True when a wait is pending. */
    bool waiting() const noexcept { return handler_.has_value(); }

    /** Completes a pending wait with `operation_aborted`. */
    void cancel() { complete(asio::error::operation_aborted); }

private:
    // `from_slot`: called by the cancellation handler itself, which must not clear the
    // slot it is running from.
    void complete(boost::system::error_code ec, bool from_slot = false)
    {
        if (!handler_)
            return;
        if (!from_slot && slot_.is_connected())
            slot_.clear();
        slot_ = {};
        // Boost 1.81's any_completion_handler move-assignment recurses forever; only its
        // move constructor is used here.
        auto h = std::move(*handler_);
        handler_.reset();
        asio::post(ex_, [h = std::move(h), ec]() mutable { std::move(h)(ec); });
    }

    asio::any_io_executor ex_;
    std::optional<asio::any_completion_handler<void(boost::system::error_code)>> handler_;
    asio::cancellation_slot slot_;
    bool ready_ = false;
};
} // namespace rpcplugin::detail
