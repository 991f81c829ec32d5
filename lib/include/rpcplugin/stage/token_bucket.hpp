#pragma once

/**
 * @file
 * A token bucket: the pure core of the rate limiter (no clock of its own, no I/O).
 */

#include <chrono>

namespace rpcplugin::stage
{
/**
 * Holds up to `capacity` tokens and gains `rate` tokens per second; it starts full. Each
 * admitted request takes one token. Time is passed in by the caller, so tests drive it
 * with a fake clock.
 *
 * @par Thread Safety
 * Not thread-safe; the rate-limit stage guards it with its own mutex.
 */
class token_bucket
{
public:
    /** The clock of the time points passed in. */
    using clock = std::chrono::steady_clock;

    /** `rate` > 0 tokens per second, `capacity` >= 1; full at `now`. */
    token_bucket(double rate, double capacity, clock::time_point now) noexcept;

    /** Takes one token if there is one at `now`; false (and nothing taken) otherwise. */
    bool try_take(clock::time_point now) noexcept;

    /** How long from `now` until a token is available (zero when one is). */
    clock::duration time_until_token(clock::time_point now) noexcept;

    /** True when the bucket would be full at `now` (a full bucket equals a new one). */
    bool full(clock::time_point now) noexcept;

    /** Tokens available at `now` (fractional). */
    double tokens(clock::time_point now) noexcept;

    /** Tokens gained per second. */
    double rate() const noexcept { return rate_; }
    /** The bucket's size. */
    double capacity() const noexcept { return capacity_; }

private:
    void refill(clock::time_point now) noexcept;

    double rate_;
    double capacity_;
    double tokens_;
    clock::time_point last_;
};
} // namespace rpcplugin::stage
