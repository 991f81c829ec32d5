#include "rpcplugin/grpc/timeout.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace grpc = rpcplugin::grpc;

using namespace std::chrono_literals;

namespace
{

std::chrono::nanoseconds parsed(std::string_view value)
{
    const auto r = grpc::parse_timeout(value);
    REQUIRE(r.has_value());
    return *r;
}

bool rejected(std::string_view value)
{
    const auto r = grpc::parse_timeout(value);
    return r.has_error() && r.error() == grpc::errc::bad_timeout;
}

} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("parse_timeout understands every unit")
    {
        CHECK(parsed("1H") == 1h);
        CHECK(parsed("2M") == 2min);
        CHECK(parsed("3S") == 3s);
        CHECK(parsed("4m") == 4ms);
        CHECK(parsed("5u") == 5us);
        CHECK(parsed("6n") == 6ns);
        CHECK(parsed("0n") == 0ns);
        CHECK(parsed("00000010S") == 10s);
        CHECK(parsed("99999999n") == 99'999'999ns);
        CHECK(parsed("99999999S") == 99'999'999s);
    }

    TEST_CASE("parse_timeout rejects malformed values")
    {
        CHECK(rejected(""));
        CHECK(rejected("S"));
        CHECK(rejected("1"));
        CHECK(rejected("100"));
        CHECK(rejected("123456789S"));
        CHECK(rejected("-1S"));
        CHECK(rejected("+1S"));
        CHECK(rejected(" 1S"));
        CHECK(rejected("1S "));
        CHECK(rejected("1 S"));
        CHECK(rejected("1s"));
        CHECK(rejected("1h"));
        CHECK(rejected("1x"));
        CHECK(rejected("1.5S"));
        CHECK(rejected("1SS"));
        CHECK(rejected("0x1S"));
    }

    TEST_CASE("parse_timeout clamps huge hours and minutes without overflow")
    {
        CHECK(parsed("99999999H") == grpc::max_timeout);
        CHECK(parsed("99999999M") == grpc::max_timeout);
        CHECK(parsed("876000H") == grpc::max_timeout);
        CHECK(parsed("875999H") == 875'999h);
        CHECK(grpc::max_timeout.count() <
              std::chrono::nanoseconds::max().count() - std::int64_t{4'000'000'000'000'000'000});
    }

    TEST_CASE("format_timeout picks the finest unit that fits in 8 digits")
    {
        CHECK(grpc::format_timeout(1ns) == "1n");
        CHECK(grpc::format_timeout(99'999'999ns) == "99999999n");
        CHECK(grpc::format_timeout(100'000'000ns) == "100000u");
        CHECK(grpc::format_timeout(1s) == "1000000u");
        CHECK(grpc::format_timeout(100s) == "100000m");
        CHECK(grpc::format_timeout(100'000s) == "100000S");
        CHECK(grpc::format_timeout(1000h) == "3600000S");
        CHECK(grpc::format_timeout(100'000h) == "6000000M");
        CHECK(grpc::format_timeout(std::chrono::nanoseconds::max()) == "2562048H");
    }

    TEST_CASE("format_timeout rounds up and maps non-positive values to 1n")
    {
        CHECK(grpc::format_timeout(100'000'001ns) == "100001u");
        CHECK(grpc::format_timeout(0ns) == "1n");
        CHECK(grpc::format_timeout(-5s) == "1n");
        CHECK(grpc::format_timeout(std::chrono::nanoseconds::min()) == "1n");
    }

    TEST_CASE("a formatted timeout parses back never shorter")
    {
        std::int64_t n = 1;
        for (int step = 0; step < 2000 && n <= grpc::max_timeout.count(); ++step)
        {
            for (const std::int64_t v : {n - 1, n, n + 1, n + n / 3})
            {
                if (v <= 0 || v > grpc::max_timeout.count())
                {
                    continue;
                }
                const std::chrono::nanoseconds t{v};
                const std::string text = grpc::format_timeout(t);
                CAPTURE(text);
                CHECK(text.size() <= 9);
                const auto back = grpc::parse_timeout(text);
                REQUIRE(back.has_value());
                CHECK(*back >= t);
            }
            n = n + n / 10 + 1;
        }
        CHECK(*grpc::parse_timeout(grpc::format_timeout(0ns)) == 1ns);
    }
}
