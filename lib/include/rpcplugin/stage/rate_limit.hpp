#pragma once

/**
 * @file
 * The rate-limit call stage: a token bucket in front of the handlers.
 */

#include "rpcplugin/grpc/call_stage.hpp"
#include "rpcplugin/stage/token_bucket.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace rpcplugin::stage
{
/** What one bucket covers. */
enum class rate_limit_scope
{
    global,         ///< one bucket for the whole server
    per_connection, ///< one bucket per client connection
    per_method,     ///< one bucket per method path
};

/** The services a rate limit leaves alone by default: health and go-plugin's internal ones. */
std::vector<std::string> default_exempt_services();

/** Settings of `rate_limit`. */
struct rate_limit_options
{
    /** Tokens gained per second (> 0). */
    double requests_per_second = 100.0;
    /** Bucket size (>= 1); buckets start full. */
    double burst = 200.0;
    /** What one bucket covers. */
    rate_limit_scope scope = rate_limit_scope::global;
    /** Services ("package.Service") whose calls are never limited nor counted. */
    std::vector<std::string> exempt_services = default_exempt_services();
    /**
     * Zero (the default): a call over the limit is refused at once. Otherwise the call
     * waits for a token, at most this long and never past its own deadline; it is refused
     * when none came in time.
     */
    std::chrono::milliseconds max_wait{0};
    /**
     * The clock, the only one the stage reads (the buckets and waiting mode's give-up time);
     * tests inject a fake one. A call's deadline is compared with it, so a clock other than
     * `steady_clock` must count from the same epoch for deadlines to apply.
     */
    std::function<token_bucket::clock::time_point()> now = []
    { return token_bucket::clock::now(); };
    /**
     * How waiting mode waits `duration` for a token: true when the time has passed, false
     * when the wait was interrupted (the call is then cancelled). Empty (the default): an
     * `asio::steady_timer` on the call's executor. A test with a fake `now` advances its
     * clock here.
     */
    std::function<asio::awaitable<bool>(token_bucket::clock::duration)> sleep;
};

/**
 * A call stage that admits calls at most at `requests_per_second` on average, with bursts
 * up to `burst`. A refused call ends with RESOURCE_EXHAUSTED "rate limit exceeded" before
 * its handler runs and before any request message is read.
 *
 * Buckets of the per-connection and per-method scopes are created on first use and
 * dropped once full again (a full bucket is the same as a new one), so memory stays
 * bounded by the connections and methods active within one refill period.
 *
 * @par Thread Safety
 * The returned stage is safe to share by connections served on several threads.
 */
grpc::call_stage rate_limit(rate_limit_options opts);
} // namespace rpcplugin::stage
