#pragma once

/**
 * @file
 * The budget of suspicious frames a connection may send: a token bucket.
 */

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace rpcplugin::http2::detail
{
/**
 * A token bucket of `burst` tokens refilled at `rate` per second; each glitch takes one.
 * `burst` 0 switches the budget off (every `take` succeeds).
 *
 * A pure state machine: the caller passes the time. Not thread-safe.
 */
class glitch_budget
{
public:
    using clock = std::chrono::steady_clock;

    glitch_budget(std::uint32_t burst, std::uint32_t rate, clock::time_point now) noexcept
        : burst_(burst)
        , rate_(rate)
        , tokens_(burst)
        , last_(now)
    {
    }

    /** Takes one token at `now`; false when the bucket is empty (the budget is exceeded). */
    bool take(clock::time_point now) noexcept
    {
        if (burst_ == 0)
            return true;
        refill(now);
        if (tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }

    /** Tokens left (after refilling up to `now`). */
    double left(clock::time_point now) noexcept
    {
        refill(now);
        return tokens_;
    }

private:
    void refill(clock::time_point now) noexcept
    {
        if (now <= last_)
            return;
        double secs = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(static_cast<double>(burst_), tokens_ + secs * rate_);
        last_ = now;
    }

    std::uint32_t burst_;
    std::uint32_t rate_;
    double tokens_;
    clock::time_point last_;
};
} // namespace rpcplugin::http2::detail
