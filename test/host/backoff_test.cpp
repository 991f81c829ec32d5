#include "rpcplugin/host/backoff.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using rpcplugin::host::backoff_delay;
using rpcplugin::host::backoff_policy;

TEST_SUITE("host")
{
    TEST_CASE("backoff grows exponentially up to the cap")
    {
        backoff_policy p;
        p.initial = 10ms;
        p.multiplier = 2;
        p.max_delay = 100ms;
        p.jitter = 0;
        CHECK(backoff_delay(p, 1, 0.5) == 10ms);
        CHECK(backoff_delay(p, 2, 0.5) == 20ms);
        CHECK(backoff_delay(p, 3, 0.5) == 40ms);
        CHECK(backoff_delay(p, 4, 0.5) == 80ms);
        CHECK(backoff_delay(p, 5, 0.5) == 100ms);
        CHECK(backoff_delay(p, 1000000, 0.5) == 100ms);
    }

    TEST_CASE("backoff jitter spreads a delay within +-jitter")
    {
        backoff_policy p;
        p.initial = 100ms;
        p.max_delay = 1000ms;
        p.jitter = 0.2;
        CHECK(backoff_delay(p, 1, 0.0) == 80ms);
        CHECK(backoff_delay(p, 1, 0.5) == 100ms);
        CHECK(backoff_delay(p, 1, 0.999999) == 120ms);
        CHECK(backoff_delay(p, 4, 1.0) == 960ms); // 800 ms * 1.2
    }

    TEST_CASE("backoff clamps odd policies")
    {
        backoff_policy p;
        p.initial = 10ms;
        p.multiplier = 0.5; // treated as 1: never shrinks
        p.max_delay = 50ms;
        p.jitter = 3; // treated as 1
        CHECK(backoff_delay(p, 5, 0.5) == 10ms);
        CHECK(backoff_delay(p, 1, 0.0) == 0ms);
        p.initial = -5ms;
        CHECK(backoff_delay(p, 1, 0.7) == 0ms);
    }
}
