#include <rpcplugin/stage/token_bucket.hpp>

#include <doctest/doctest.h>

#include <chrono>

using rpcplugin::stage::token_bucket;
using namespace std::chrono_literals;

TEST_SUITE("stage")
{
    TEST_CASE(
        "token_bucket: burst 2 at 2 per second refuses the third call, admits again after 0.5 s")
    {
        token_bucket::clock::time_point t0{};
        token_bucket b(2.0, 2.0, t0);
        CHECK(b.try_take(t0));
        CHECK(b.try_take(t0));
        CHECK_FALSE(b.try_take(t0));
        CHECK(b.time_until_token(t0) == 500ms);
        CHECK_FALSE(b.try_take(t0 + 499ms));
        CHECK(b.try_take(t0 + 500ms));
        CHECK_FALSE(b.try_take(t0 + 500ms));
    }

    TEST_CASE("token_bucket: refills up to its capacity, never beyond")
    {
        token_bucket::clock::time_point t0{};
        token_bucket b(10.0, 3.0, t0);
        CHECK(b.full(t0));
        for (int i = 0; i < 3; ++i)
            CHECK(b.try_take(t0));
        CHECK_FALSE(b.full(t0));
        CHECK(b.tokens(t0 + 100ms) == doctest::Approx(1.0));
        CHECK(b.full(t0 + 1h));
        CHECK(b.tokens(t0 + 1h) == doctest::Approx(3.0));
        // Only `capacity` calls fit in a burst even after a long pause.
        int admitted = 0;
        while (b.try_take(t0 + 1h))
            ++admitted;
        CHECK(admitted == 3);
    }

    TEST_CASE("token_bucket: a clock read that goes backwards takes nothing and adds nothing")
    {
        token_bucket::clock::time_point t0 = token_bucket::clock::time_point{} + 10s;
        token_bucket b(1.0, 1.0, t0);
        CHECK(b.try_take(t0));
        CHECK_FALSE(b.try_take(t0 - 5s));
        CHECK(b.time_until_token(t0 - 5s) == 1s);
        CHECK(b.try_take(t0 + 1s));
    }

    TEST_CASE("token_bucket: a fractional rate waits the right time")
    {
        token_bucket::clock::time_point t0{};
        token_bucket b(0.5, 1.0, t0);
        CHECK(b.try_take(t0));
        CHECK(b.time_until_token(t0) == 2s);
        CHECK(b.time_until_token(t0 + 1500ms) == 500ms);
        CHECK(b.try_take(t0 + 2s));
    }
}
