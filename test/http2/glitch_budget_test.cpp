#include "http2/detail/glitch_budget.hpp"

#include <doctest/doctest.h>

using rpcplugin::http2::detail::glitch_budget;
using namespace std::chrono_literals;

TEST_SUITE("http2")
{
    TEST_CASE("glitch_budget allows the burst, then refills at its rate")
    {
        auto t0 = glitch_budget::clock::time_point{} + 1h;
        glitch_budget b(3, 10, t0);
        CHECK(b.take(t0));
        CHECK(b.take(t0));
        CHECK(b.take(t0));
        CHECK_FALSE(b.take(t0));
        CHECK_FALSE(b.take(t0 + 50ms)); // half a token
        CHECK(b.take(t0 + 100ms));      // one token back
        CHECK_FALSE(b.take(t0 + 100ms));
        CHECK(b.left(t0 + 10s) == doctest::Approx(3.0)); // never above the burst
    }

    TEST_CASE("glitch_budget with burst 0 is off, with rate 0 never refills")
    {
        auto t0 = glitch_budget::clock::time_point{} + 1h;
        glitch_budget off(0, 0, t0);
        for (int i = 0; i < 10000; ++i)
            REQUIRE(off.take(t0));
        glitch_budget once(1, 0, t0);
        CHECK(once.take(t0));
        CHECK_FALSE(once.take(t0 + 24h));
    }
}
