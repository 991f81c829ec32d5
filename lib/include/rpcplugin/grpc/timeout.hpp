#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace rpcplugin::grpc
{

/**
 * The longest timeout `parse_timeout` returns: 876,000 hours (about 100 years).
 *
 * Larger values are clamped to it. It is about 3.2e18 ns, so adding it to the current time of
 * `std::chrono::system_clock` or `steady_clock` (each below 2e18 ns for decades) cannot
 * overflow a 64-bit nanosecond count.
 */
inline constexpr std::chrono::nanoseconds max_timeout = std::chrono::hours{876'000};

/**
 * Parses a `grpc-timeout` header value: 1 to 8 ASCII digits then one unit, `H` (hours),
 * `M` (minutes), `S` (seconds), `m` (milliseconds), `u` (microseconds) or `n` (nanoseconds).
 *
 * Anything else (empty, no unit, a sign, spaces, 9 or more digits, another unit) is
 * `errc::bad_timeout`. `"0n"` is accepted and gives zero. The result never overflows: values
 * above `max_timeout` (possible with `H` and `M`) are clamped to `max_timeout`.
 */
boost::system::result<std::chrono::nanoseconds> parse_timeout(std::string_view value);

/**
 * Formats `timeout` as a `grpc-timeout` header value.
 *
 * Chooses the finest unit (n, u, m, S, M, H) in which the value fits in 8 digits, rounding up
 * so that the deadline the peer computes is never shorter than `timeout`. A zero or negative
 * timeout gives `"1n"`, the shortest expressible one.
 */
std::string format_timeout(std::chrono::nanoseconds timeout);

} // namespace rpcplugin::grpc
