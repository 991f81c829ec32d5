#pragma once

/**
 * @file
 * Exponential backoff with jitter for connecting to a plugin: the pure policy.
 */

#include <chrono>

namespace rpcplugin::host
{
/** How connection attempts are spaced. The defaults retry for about a second in all. */
struct backoff_policy
{
    /** Delay before the first retry. */
    std::chrono::milliseconds initial{25};
    /** Growth factor per retry (>= 1). */
    double multiplier = 2.0;
    /** Upper bound of one delay (before jitter). */
    std::chrono::milliseconds max_delay{400};
    /** Random spread: a delay is scaled by a factor in [1 - jitter, 1 + jitter) (0 to 1). */
    double jitter = 0.2;
    /** Attempts in all, the first included (>= 1). */
    unsigned max_attempts = 6;
};

/**
 * The delay before retry number `retry` (1 for the first retry):
 * `min(max_delay, initial * multiplier^(retry-1)) * (1 + jitter * (2u - 1))`, where `u` in
 * [0, 1) is the caller's random number (so the function is deterministic). Out-of-range
 * policy values are clamped (multiplier below 1 as 1, jitter into [0, 1]); never negative.
 */
std::chrono::milliseconds backoff_delay(const backoff_policy& p, unsigned retry, double u) noexcept;
} // namespace rpcplugin::host
