#include "grpc/detail/drain.hpp"

#include "rpcplugin/http2/server_session.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <string>

namespace rpcplugin::grpc::detail
{
asio::awaitable<void> drain(connections& conns, std::span<const std::function<void()>> hooks,
                            std::chrono::milliseconds grace, const logger& log)
{
    using namespace std::chrono_literals;
    using clock = std::chrono::steady_clock;
    constexpr auto forever = clock::time_point::max();
    auto ex = co_await asio::this_coro::executor;
    // The grace period counts from the start of the drain, the GOAWAY phase included.
    const auto start = clock::now();
    const auto deadline = start + grace;
    if (!conns.start_drain(ex))
    {
        co_await conns.wait_empty(forever); // a later call awaits the end of the first
        co_return;
    }
    // Hooks first: health turns NOT_SERVING before any GOAWAY goes out. start_drain closed
    // the listeners.
    for (const auto& hook : hooks)
        hook();
    // Phase 1: GOAWAY(2^31-1) and a PING so clients stop opening streams; a session sends
    // the final GOAWAY (the last stream id actually seen) on the PING's ACK, and after a
    // round-trip allowance every session is told to send it (sessions send it once).
    auto count = conns.each_session([](http2::server_session& s) { s.shutdown_notice(); });
    log.log(log_level::info, "rpcplugin.grpc", "draining",
            {{"connections", std::to_string(count)}});
    co_await conns.wait_empty(start + std::min<std::chrono::milliseconds>(grace, 100ms));
    conns.each_session([](http2::server_session& s) { s.goaway(0); });
    // Phase 2: the connections finish their calls, up to the grace.
    const bool ended = co_await conns.wait_empty(deadline);
    if (ended)
        co_return;
    // Phase 3: cancel what is left; their calls are cancelled.
    count = conns.cancel(asio::cancellation_type::terminal);
    if (count > 0)
        log.log(log_level::warn, "rpcplugin.grpc", "grace period over; closing connections",
                {{"connections", std::to_string(count)}});
    co_await conns.wait_empty(forever);
}
} // namespace rpcplugin::grpc::detail
