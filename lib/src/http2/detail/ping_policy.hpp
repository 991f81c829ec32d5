#pragma once

/**
 * @file
 * gRPC's ping abuse policy (gRPC core's Chttp2PingAbusePolicy, grpc-go's keepalive
 * EnforcementPolicy).
 */

#include <chrono>
#include <cstdint>

namespace rpcplugin::http2::detail
{
/**
 * Counts client PINGs that come too soon. A PING sooner than `min_interval` after the
 * previous one (2 hours while no call is open, unless `permit_without_calls`) is a strike;
 * more than `max_strikes` strikes is abuse. Sending DATA or HEADERS (`on_data_sent`)
 * forgives everything, so a client whose pings accompany real traffic (grpc-go's BDP
 * pings) is never struck. The first PING, and the first after our data, is always fine.
 * `max_strikes` 0 tolerates every PING.
 *
 * A pure state machine: the caller passes the time. Not thread-safe.
 */
class ping_policy
{
public:
    using clock = std::chrono::steady_clock;

    /** The interval allowed while no call is open, unless permitted (as in gRPC). */
    static constexpr std::chrono::hours idle_interval{2};

    ping_policy(std::chrono::milliseconds min_interval, std::uint32_t max_strikes,
                bool permit_without_calls) noexcept
        : min_interval_(min_interval)
        , max_strikes_(max_strikes)
        , permit_without_calls_(permit_without_calls)
    {
    }

    /** A PING arrived at `now`; `calls_open` tells whether any call is open. Returns true
        when the client has now exceeded the strikes it is allowed. */
    bool on_ping(clock::time_point now, bool calls_open) noexcept
    {
        std::chrono::milliseconds interval = min_interval_;
        if (!calls_open && !permit_without_calls_)
            interval = std::max<std::chrono::milliseconds>(interval, idle_interval);
        bool too_soon = have_last_ && now < last_ + interval;
        have_last_ = true;
        last_ = now;
        if (!too_soon)
            return false;
        ++strikes_;
        return max_strikes_ != 0 && strikes_ > max_strikes_;
    }

    /** We sent DATA or HEADERS: strikes and the last PING time are forgotten. */
    void on_data_sent() noexcept
    {
        strikes_ = 0;
        have_last_ = false;
    }

    std::uint32_t strikes() const noexcept { return strikes_; }

private:
    std::chrono::milliseconds min_interval_;
    std::uint32_t max_strikes_;
    bool permit_without_calls_;
    bool have_last_ = false;
    clock::time_point last_{};
    std::uint32_t strikes_ = 0;
};
} // namespace rpcplugin::http2::detail
