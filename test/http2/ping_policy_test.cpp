#include "http2/detail/ping_policy.hpp"

#include <doctest/doctest.h>

using rpcplugin::http2::detail::ping_policy;
using namespace std::chrono_literals;

TEST_SUITE("http2")
{
    TEST_CASE("ping_policy: gRPC's 5 min / 2 strikes, the third strike is abuse")
    {
        auto t = ping_policy::clock::time_point{} + 24h;
        ping_policy p(5min, 2, false);
        CHECK_FALSE(p.on_ping(t, true));      // the first PING is always fine
        CHECK_FALSE(p.on_ping(t + 1s, true)); // strike 1
        CHECK_FALSE(p.on_ping(t + 2s, true)); // strike 2
        CHECK(p.strikes() == 2);
        CHECK(p.on_ping(t + 3s, true)); // strike 3 > 2
    }

    TEST_CASE("ping_policy: pings spaced by the interval are never struck")
    {
        auto t = ping_policy::clock::time_point{} + 24h;
        ping_policy p(5min, 2, false);
        for (int i = 0; i < 100; ++i)
            REQUIRE_FALSE(p.on_ping(t + i * 5min, true));
        CHECK(p.strikes() == 0);
    }

    TEST_CASE("ping_policy: our data resets the strikes and the interval")
    {
        auto t = ping_policy::clock::time_point{} + 24h;
        ping_policy p(5min, 2, false);
        for (int i = 0; i < 100; ++i)
        {
            REQUIRE_FALSE(p.on_ping(t + i * 1ms, true));
            p.on_data_sent(); // a BDP ping after each response: never struck
        }
        CHECK(p.strikes() == 0);
    }

    TEST_CASE("ping_policy: without open calls the interval is 2 hours unless permitted")
    {
        auto t = ping_policy::clock::time_point{} + 24h;
        ping_policy strict(5min, 2, false);
        CHECK_FALSE(strict.on_ping(t, false));
        CHECK_FALSE(strict.on_ping(t + 10min, false));
        CHECK(strict.strikes() == 1);
        ping_policy permitted(5min, 2, true);
        CHECK_FALSE(permitted.on_ping(t, false));
        CHECK_FALSE(permitted.on_ping(t + 10min, false));
        CHECK(permitted.strikes() == 0);
    }

    TEST_CASE("ping_policy: max_strikes 0 tolerates any PING")
    {
        auto t = ping_policy::clock::time_point{} + 24h;
        ping_policy p(5min, 0, false);
        for (int i = 0; i < 1000; ++i)
            REQUIRE_FALSE(p.on_ping(t, true));
    }
}
